/**
 * Turns raw documents into resources: envelope and spec validation, ids,
 * duplicates, the dependsOn graph. Every problem becomes a diagnostic naming
 * file:line:col, resource id and field; all problems of a run are collected.
 */
import type * as z from 'zod';
import { checkClaimConflicts, checkClaimPaths, claimPosition, type PathClaim } from './claims.js';
import { describeValue, Diagnostics } from './diagnostics.js';
import { findCycles } from './graph.js';
import { DEFAULT_NAMESPACE, formatKey, parseKey, type ResourceId, type ResourceKey } from './key.js';
import { FieldLocator } from './locate.js';
import type { RawDocument } from './parse.js';
import {
  allowedKeys,
  documentSchema,
  EnvelopeSchema,
  issuesToProblems,
  KIND_PATTERN,
  type Envelope,
  type FieldProblem,
} from './schema.js';
import { closest } from './suggest.js';
import { declaredDigest, type Resource } from './types.js';

/** What validation needs to know about kinds: their spec schemas and the paths they own. */
export interface KindCatalog {
  kinds(): string[];
  specSchema(kind: string): z.ZodType | undefined;
  /** The target paths a validated spec owns exclusively (see claims.ts); `key` is the resource's. Defaults to none. */
  claims?(kind: string, spec: unknown, key?: ResourceKey): readonly PathClaim[];
  /** Resources a spec must hear of when they change (e.g. `restartOn`): ordering edges like dependsOn. Defaults to none. */
  subscribesTo?(kind: string, spec: unknown): readonly string[];
}

export interface ValidateOptions {
  catalog: KindCatalog;
  /** Looks up exact field positions for diagnostics. Defaults to a new FieldLocator. */
  locator?: FieldLocator;
  /** Namespace of resources that name none. Defaults to "default". */
  defaultNamespace?: string;
}

export interface ValidationResult {
  resources: Resource[];
  diagnostics: Diagnostics;
}

export function validateDocuments(docs: readonly RawDocument[], options: ValidateOptions): ValidationResult {
  const diags = new Diagnostics();
  const locator = options.locator ?? new FieldLocator();
  const candidates: Resource[] = [];
  for (const doc of docs) {
    const resource = validateDocument(
      doc,
      options.catalog,
      locator,
      options.defaultNamespace ?? DEFAULT_NAMESPACE,
      diags,
    );
    if (resource) candidates.push(resource);
  }
  return {
    resources: checkResourceSet(candidates, locator, diags, options.catalog),
    diagnostics: diags,
  };
}

/** Validates one document on its own; cross-document checks are checkResourceSet's. */
export function validateOne(
  doc: RawDocument,
  options: ValidateOptions,
  diags: Diagnostics,
): Resource | undefined {
  return validateDocument(
    doc,
    options.catalog,
    options.locator ?? new FieldLocator(),
    options.defaultNamespace ?? DEFAULT_NAMESPACE,
    diags,
  );
}

/**
 * Checks across documents: duplicate ids (the first wins, the second is an
 * error naming both), dependencies on undeclared ids, cycles, and (given the
 * catalog) two resources claiming one path. Returns the resources without
 * duplicates.
 */
export function checkResourceSet(
  candidates: readonly Resource[],
  locator: FieldLocator,
  diags: Diagnostics,
  catalog?: KindCatalog,
): Resource[] {
  const byId = new Map<ResourceId, Resource>();
  const resources: Resource[] = [];
  for (const resource of candidates) {
    const first = byId.get(resource.id);
    if (first) {
      const o = resource.origin;
      diags.error({
        code: 'SETPOINT_DUPLICATE_ID',
        summary: `duplicate resource id ${resource.id}`,
        file: o.file,
        line: o.line,
        column: o.column,
        resourceId: resource.id,
        field: 'metadata.name',
        detail: `first declared at ${first.origin.file}:${first.origin.line}:${first.origin.column}`,
        hint: 'give one of them another metadata.name or metadata.namespace',
      });
      continue;
    }
    byId.set(resource.id, resource);
    resources.push(resource);
  }
  checkDependencies(resources, byId, locator, diags);
  if (catalog?.claims)
    checkClaimConflicts(resources, catalog.claims.bind(catalog), claimPosition(locator), diags);
  return resources;
}

function validateDocument(
  doc: RawDocument,
  catalog: KindCatalog,
  locator: FieldLocator,
  defaultNs: string,
  diags: Diagnostics,
): Resource | undefined {
  const value = doc.value;
  const at = { file: doc.file, line: doc.line, column: doc.column };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    diags.error({
      code: 'SETPOINT_MANIFEST_INVALID',
      summary: 'a resource must be a mapping with kind, metadata and spec',
      ...at,
      found: describeValue(value),
    });
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  const kind = typeof raw.kind === 'string' ? raw.kind : undefined;
  const meta = (typeof raw.metadata === 'object' && raw.metadata !== null ? raw.metadata : {}) as Record<
    string,
    unknown
  >;
  const name = typeof meta.name === 'string' ? meta.name : undefined;
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : defaultNs;
  const id = kind && name ? formatKey({ kind, namespace, name }) : undefined;
  const report = (problem: FieldProblem, base: Array<string | number>, schema?: z.ZodType) =>
    reportProblem(problem, base, schema, doc, id, locator, diags);

  if (!kind || !KIND_PATTERN.test(kind) || !catalog.specSchema(kind)) {
    const envelope = EnvelopeSchema.safeParse(raw, { reportInput: true });
    if (!envelope.success) for (const p of issuesToProblems(envelope.error.issues)) report(p, []);
    if (kind && KIND_PATTERN.test(kind)) {
      const guess = closest(kind, catalog.kinds());
      diags.error({
        code: 'SETPOINT_UNKNOWN_KIND',
        summary: `unknown kind "${kind}"`,
        ...positionOf(doc, ['kind'], locator),
        resourceId: id,
        field: 'kind',
        expected: `one of ${catalog.kinds().join(', ')}`,
        hint: guess ? `did you mean "${guess}"?` : 'run `setpoint schema --list` to list the kinds',
      });
    }
    return undefined;
  }
  // One parse per document: the envelope and the kind's spec together.
  const schema = documentSchemaFor(catalog, kind);
  const parsed = schema.safeParse(raw.spec === undefined ? { ...raw, spec: {} } : raw, { reportInput: true });
  if (!parsed.success) {
    for (const p of issuesToProblems(parsed.error.issues)) report(p, [], schema);
    return undefined;
  }
  const env = parsed.data as Envelope & { spec: unknown };
  const resource: Resource = {
    id: id!,
    key: { kind, namespace, name: name! },
    metadata: {
      name: name!,
      namespace,
      labels: env.metadata.labels ?? {},
      annotations: env.metadata.annotations ?? {},
    },
    spec: env.spec,
    dependsOn: withSubscriptions(
      (env.dependsOn ?? []).map((d) => normalizeRef(d, defaultNs)),
      (catalog.subscribesTo?.(kind, env.spec) ?? []).map((d) => normalizeRef(d, defaultNs)),
    ),
    lifecycle: env.lifecycle ?? {},
    ...(env.nodeSelector ? { nodeSelector: env.nodeSelector } : {}),
    origin: { file: doc.file, line: doc.line, column: doc.column, index: doc.index },
    digest: '',
  };
  const claims = catalog.claims?.(kind, resource.spec, resource.key) ?? [];
  if (!checkClaimPaths(resource, claims, claimPosition(locator), diags)) return undefined;
  resource.digest = declaredDigest(resource);
  return resource;
}

function normalizeRef(ref: string, defaultNs: string): string {
  const k = parseKey(ref, defaultNs);
  return k ? formatKey(k) : ref;
}

/** Subscriptions (e.g. `restartOn`) order like dependsOn: added when not already there. */
function withSubscriptions(dependsOn: string[], subscribed: readonly string[]): string[] {
  for (const id of subscribed) if (!dependsOn.includes(id)) dependsOn.push(id);
  return dependsOn;
}

const documentSchemas = new WeakMap<KindCatalog, Map<string, z.ZodType>>();

function documentSchemaFor(catalog: KindCatalog, kind: string): z.ZodType {
  let byKind = documentSchemas.get(catalog);
  if (!byKind) documentSchemas.set(catalog, (byKind = new Map<string, z.ZodType>()));
  let schema = byKind.get(kind);
  if (!schema) byKind.set(kind, (schema = documentSchema(kind, catalog.specSchema(kind)!)));
  return schema;
}

function reportProblem(
  problem: FieldProblem,
  base: Array<string | number>,
  schema: z.ZodType | undefined,
  doc: RawDocument,
  id: string | undefined,
  locator: FieldLocator,
  diags: Diagnostics,
): void {
  const path = [...base, ...problem.path];
  let hint: string | undefined;
  if (problem.unknownKey !== undefined) {
    const parentPath = problem.path.slice(0, -1);
    const allowed = schema ? allowedKeys(schema, parentPath) : envelopeKeys(parentPath);
    const guess = allowed ? closest(problem.unknownKey, allowed) : undefined;
    hint = guess
      ? `did you mean "${guess}"?`
      : allowed
        ? `allowed fields here: ${allowed.join(', ')}`
        : 'remove the field; unknown fields are errors, never silently dropped';
  } else if (path.join('.') === 'metadata.name' && problem.input === undefined) {
    hint = 'every resource needs metadata.name, unique per kind and namespace';
  }
  diags.error({
    code: 'SETPOINT_MANIFEST_INVALID',
    summary: problem.summary,
    ...positionOf(doc, path, locator, problem.unknownKey !== undefined),
    resourceId: id,
    field: formatPath(path),
    expected: problem.expected,
    found: problem.unknownKey === undefined && problem.hasInput ? describeValue(problem.input) : undefined,
    hint: hint ?? modeHint(path, problem.input),
  });
}

function envelopeKeys(path: Array<string | number>): string[] | undefined {
  if (path.length === 0) return ['kind', 'metadata', 'spec', 'dependsOn', 'lifecycle', 'nodeSelector'];
  return allowedKeys(EnvelopeSchema, path);
}

function modeHint(path: Array<string | number>, input: unknown): string | undefined {
  if (path[path.length - 1] === 'mode' && typeof input === 'number')
    return 'quote the mode ("0644"): unquoted, YAML reads 0644 as a number';
  return undefined;
}

export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/** Where a field is written; an unknown field is shown by its key, any other by its value. */
function positionOf(doc: RawDocument, path: Array<string | number>, locator: FieldLocator, atKey = false) {
  const pos = atKey
    ? locator.locateKey(doc.file, doc.index, path)
    : locator.locate(doc.file, doc.index, path);
  return { file: pos?.file ?? doc.file, line: pos?.line ?? doc.line, column: pos?.column ?? doc.column };
}

/** Where a field of a validated resource is written. */
function fieldPosition(r: Resource, path: Array<string | number>, locator: FieldLocator) {
  const o = r.origin;
  return positionOf(
    { file: o.file, index: o.index, line: o.line, column: o.column, value: null },
    path,
    locator,
  );
}

/** Where in `spec` a reference to `id` is written (`['spec', 'restartOn', 0]`), when it is a list entry or value there. */
function specPathOf(spec: unknown, id: string): Array<string | number> | undefined {
  const ns = parseKey(id)?.namespace;
  const walk = (v: unknown, at: Array<string | number>): Array<string | number> | undefined => {
    if (typeof v === 'string') {
      const k = parseKey(v, ns);
      return k && formatKey(k) === id ? at : undefined;
    }
    if (v === null || typeof v !== 'object') return undefined;
    for (const [key, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      const hit = walk(child, [...at, key]);
      if (hit) return hit;
    }
    return undefined;
  };
  return walk(spec, ['spec']);
}

/** `spec.restartOn[0]` for ['spec', 'restartOn', 0]. */
function fieldName(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function checkDependencies(
  resources: Resource[],
  byId: Map<ResourceId, Resource>,
  locator: FieldLocator,
  diags: Diagnostics,
): void {
  const edges = new Map<string, string[]>();
  for (const r of resources) {
    edges.set(r.id, r.dependsOn);
    r.dependsOn.forEach((dep, i) => {
      if (byId.has(dep)) return;
      const parsed = parseKey(dep);
      // Ids share long prefixes (`File/default/`), so closeness is judged by the name's length:
      // a near miss of the name or a typo in the kind, never an unrelated resource or this one.
      const others = [...byId.keys()].filter((id) => id !== r.id);
      const guess = parsed
        ? closest(dep, others, Math.max(1, Math.floor(parsed.name.length / 3)))
        : undefined;
      // A subscription (e.g. spec.restartOn) is named where it was written, not as a dependsOn entry.
      const path = specPathOf(r.spec, dep) ?? ['dependsOn', i];
      diags.error({
        code: parsed ? 'SETPOINT_MISSING_DEPENDENCY' : 'SETPOINT_MANIFEST_INVALID',
        summary: parsed
          ? `${path[0] === 'dependsOn' ? 'depends on' : `${path.slice(0, -1).join('.')} names`} ${dep}, which is not declared`
          : `"${dep}" is not a resource id`,
        ...fieldPosition(r, path, locator),
        resourceId: r.id,
        field: path.length === 2 && path[0] === 'dependsOn' ? `dependsOn[${i}]` : fieldName(path),
        expected: parsed ? 'the id of a declared resource' : 'Kind/name or Kind/namespace/name',
        hint: guess ? `did you mean ${guess}?` : 'declare it, or remove the dependency',
      });
    });
  }
  for (const cycle of findCycles(edges.keys(), edges)) {
    const first = byId.get(cycle[0])!;
    diags.error({
      code: 'SETPOINT_DEPENDENCY_CYCLE',
      summary: `dependency cycle: ${[...cycle, cycle[0]].join(' -> ')}`,
      file: first.origin.file,
      line: first.origin.line,
      column: first.origin.column,
      resourceId: first.id,
      field: 'dependsOn',
      detail: cycle
        .map((id) => {
          const o = byId.get(id)!.origin;
          return `${id} declared at ${o.file}:${o.line}`;
        })
        .join('\n'),
      hint: 'dependsOn must form a DAG; remove one of these dependencies',
    });
  }
}
