/**
 * The document a builder returns: the same shape a YAML manifest declares
 * (`kind`, `metadata`, `spec`, `dependsOn`, `lifecycle`), plain data that
 * validation checks like any other manifest document, plus a non-enumerable
 * record of where the builder was called (see manifest/callsite.ts).
 */
import { recordCallSite } from '../manifest/callsite.js';
import type { Lifecycle } from '../manifest/types.js';

export interface DocumentMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** One resource as a manifest declares it. */
export interface ResourceDocument<K extends string = string, S = unknown> {
  kind: K;
  metadata: DocumentMetadata;
  spec: S;
  /** Ids of resources applied first (`Kind/name` or `Kind/namespace/name`). */
  dependsOn?: string[];
  lifecycle?: Lifecycle;
}

/** A dependency: an id (`Kind/name` or `Kind/namespace/name`) or a document made by a builder. */
export type ResourceRef = `${string}/${string}` | ResourceDocument<string, unknown>;

/** Everything about a resource but its kind, name and spec. */
export interface ResourceOptions {
  /** Scope for RBAC and ownership. Defaults to the project's default namespace ("default"). */
  namespace?: string;
  /** Labels for policies, alert routing (`owner`) and selection. Defaults to none. */
  labels?: Record<string, string>;
  /** Free-form notes. Defaults to none. */
  annotations?: Record<string, string>;
  /** Resources applied before this one. Defaults to none (plus implicit parent folders). */
  dependsOn?: readonly ResourceRef[];
  /** Engine-level behaviour: remediation, prune, preventDestroy, ignoreChanges, priority. Defaults to none. */
  lifecycle?: Lifecycle;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'namespace',
  'labels',
  'annotations',
  'dependsOn',
  'lifecycle',
]);

/**
 * Makes a document and records the call site of `callee` (the public builder
 * the manifest called). Throws a TypeError for an unknown option, which the
 * TypeScript loader reports at the builder call's line.
 */
export function makeDocument<K extends string, S>(
  kind: K,
  name: string,
  spec: S,
  options: ResourceOptions | undefined,
  callee: (...args: never[]) => unknown,
): ResourceDocument<K, S> {
  const metadata: DocumentMetadata = { name };
  const doc: ResourceDocument<K, S> = { kind, metadata, spec };
  if (options !== undefined) {
    for (const key of Object.keys(options))
      if (!OPTION_KEYS.has(key))
        throw new TypeError(
          `${kind}/${name}: unknown option "${key}" (options are ${[...OPTION_KEYS].join(', ')})`,
        );
    if (options.namespace !== undefined) metadata.namespace = options.namespace;
    if (options.labels !== undefined) metadata.labels = options.labels;
    if (options.annotations !== undefined) metadata.annotations = options.annotations;
    if (options.dependsOn !== undefined) doc.dependsOn = options.dependsOn.map(refToId);
    if (options.lifecycle !== undefined) doc.lifecycle = options.lifecycle;
  }
  recordCallSite(doc, callee);
  return doc;
}

/** The id a dependency names; a document becomes `Kind/name` or `Kind/namespace/name`. */
export function refToId(ref: ResourceRef): string {
  if (typeof ref !== 'object' || ref === null) return ref;
  const { kind, metadata } = ref;
  return metadata.namespace === undefined
    ? `${kind}/${metadata.name}`
    : `${kind}/${metadata.namespace}/${metadata.name}`;
}
