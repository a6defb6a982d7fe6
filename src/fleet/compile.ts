/**
 * A node's desired set: the resources whose nodeSelector selects the node,
 * as manifest documents the agent loads like any folder (its own facts fill
 * `${facts.*}` there). Content-addressed: the digest is over the documents,
 * so nodes that get the same resources share one compiled (and signed) set,
 * and an agent holding that digest has nothing to fetch.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { SetpointError } from '../errors.js';
import { selectionLabels, selectorMatches, type Resource } from '../manifest/index.js';
import { readConfined } from '../provider/context.js';
import type { DigestSignature } from '../source/signing.js';
import type { NodeRecord } from '../store/index.js';
import type { Assignment } from './assignment.js';

/** One resource as a manifest document. */
export interface NodeDocument {
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: unknown;
  dependsOn?: string[];
  lifecycle?: Resource['lifecycle'];
}

export interface NodeSet {
  /** sha256 over the documents: the set's identity. */
  digest: string;
  /** The revision it was compiled from. */
  revision: string;
  documents: NodeDocument[];
  /** Dependencies left out: they go elsewhere, so this node cannot wait for them. */
  notes: string[];
  /** The server's signature over the digest, when the project requires signed revisions. */
  signature?: DigestSignature;
  /**
   * Files the documents refer to (a File's `source:` or `template:`), by the
   * sha256 of their bytes, base64: the documents name them `files/<sha256>`,
   * so the digest (and the signature) covers their contents too.
   */
  files?: Record<string, string>;
}

/** The largest file a node's set carries, and the most all of its files may weigh. */
export const SET_FILE_MAX_BYTES = 1024 * 1024;
export const SET_FILES_MAX_BYTES = 8 * 1024 * 1024;

/** The folder, beside the set's manifest, that shipped files are written to on the node. */
export const SET_FILES_DIR = 'files';

/** The source root a manifest file belongs to (DesiredState.sourceRootOf): files must stay inside it. */
export type SourceRootOf = (manifestFile: string) => string;

/** Fields of a kind whose value names a file relative to the manifest, shipped with the set. */
const FILE_FIELDS: Record<string, readonly string[]> = { File: ['source', 'template'] };

/** The labels selectors see for a node: its labels and its facts as facts.*. */
export function nodeLabels(node: Pick<NodeRecord, 'labels' | 'facts'>): Record<string, string> {
  return selectionLabels(node.labels, node.facts);
}

/** The resources of `resources` that select the node. */
export function selectFor(
  node: Pick<NodeRecord, 'labels' | 'facts'>,
  resources: readonly Resource[],
): Resource[] {
  const labels = nodeLabels(node);
  return resources.filter((r) => r.nodeSelector && selectorMatches(r.nodeSelector, labels));
}

const REF = /\$\{([^}]*)\}/g;
const LATER = /^(facts(\.[A-Za-z0-9_-]+)+|replica(\s*\+\s*\d+)?)$/;

/** Literal `${x}` (rendered from `$${x}`) is written `$${x}` again; `${facts.*}` and `${replica}` are for the node. */
function escape(value: unknown): unknown {
  if (typeof value === 'string')
    return value.includes('${')
      ? value.replace(REF, (ref, name: string) => (LATER.test(name) ? ref : `$${ref}`))
      : value;
  if (Array.isArray(value)) return value.map(escape);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escape(v)]),
    );
  return value;
}

/**
 * Reads the files `r`'s spec names (confined to its source root, as on the
 * server's own host), adds them to `files` and returns the spec naming them
 * by digest. Too big, unreadable or outside the source: an error naming the
 * resource and field.
 */
function shipFiles(
  r: Resource,
  spec: unknown,
  files: Map<string, Buffer>,
  sourceRootOf: SourceRootOf | undefined,
): unknown {
  const fields = FILE_FIELDS[r.key.kind];
  if (!fields || !spec || typeof spec !== 'object') return spec;
  let out = spec as Record<string, unknown>;
  for (const field of fields) {
    const path = out[field];
    if (typeof path !== 'string') continue;
    const where = `${r.id} (${r.origin.file}${r.origin.line ? `:${r.origin.line}` : ''}), spec.${field}`;
    if (!sourceRootOf)
      throw new SetpointError(
        `${where}: ${path} cannot be sent to a node here`,
        'SETPOINT_FLEET_FILE',
        'render the set from the server that holds the source',
      );
    let data: Buffer;
    try {
      data = readConfined(path, dirname(r.origin.file), sourceRootOf(r.origin.file), `spec.${field}`);
    } catch (err) {
      throw new SetpointError(
        `${where}: ${(err as Error).message}`,
        (err as SetpointError).code ?? 'SETPOINT_FLEET_FILE',
        (err as SetpointError).hint ?? "relative paths start at the manifest's folder",
      );
    }
    if (data.length > SET_FILE_MAX_BYTES)
      throw new SetpointError(
        `${where}: ${path} is ${data.length} bytes; a node's set carries files of at most ${SET_FILE_MAX_BYTES} bytes`,
        'SETPOINT_FLEET_FILE',
        'ship big files another way (a package, an Http-fetched artefact) and keep small ones in the source',
      );
    const sha = createHash('sha256').update(data).digest('hex');
    files.set(sha, data);
    out = { ...out, [field]: `${SET_FILES_DIR}/${sha}` };
  }
  return out;
}

/** Compiles a set from the selected resources (in id order), with the files they refer to. */
export function compileSet(
  revision: string,
  selected: readonly Resource[],
  sourceRootOf?: SourceRootOf,
): NodeSet {
  const ids = new Set(selected.map((r) => r.id));
  const notes: string[] = [];
  const files = new Map<string, Buffer>();
  const documents = [...selected]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r): NodeDocument => {
      const deps = r.dependsOn.filter((d) => {
        if (ids.has(d)) return true;
        notes.push(`${r.id}: dependency ${d} is not part of this node's set; ignored on the node`);
        return false;
      });
      return {
        kind: r.key.kind,
        metadata: {
          name: r.key.name,
          namespace: r.key.namespace,
          ...(Object.keys(r.metadata.labels).length ? { labels: r.metadata.labels } : {}),
          ...(Object.keys(r.metadata.annotations).length ? { annotations: r.metadata.annotations } : {}),
        },
        spec: escape(shipFiles(r, r.spec, files, sourceRootOf)),
        ...(deps.length ? { dependsOn: deps } : {}),
        ...(Object.keys(r.lifecycle).length ? { lifecycle: r.lifecycle } : {}),
      };
    });
  let total = 0;
  for (const data of files.values()) total += data.length;
  if (total > SET_FILES_MAX_BYTES)
    throw new SetpointError(
      `the files of ${files.size} resource field(s) weigh ${total} bytes; a node's set carries at most ${SET_FILES_MAX_BYTES}`,
      'SETPOINT_FLEET_FILE',
      'select fewer File resources with source:/template: for one node, or make the files smaller',
    );
  const digest = setDigest(documents);
  return {
    digest,
    revision,
    documents,
    notes,
    ...(files.size
      ? { files: Object.fromEntries([...files].map(([sha, data]) => [sha, data.toString('base64')])) }
      : {}),
  };
}

/** The bytes of a shipped file, checked against the digest it is named by (undefined: they differ). */
export function shippedFile(sha: string, base64: string): Buffer | undefined {
  const data = Buffer.from(base64, 'base64');
  return /^[0-9a-f]{64}$/.test(sha) && createHash('sha256').update(data).digest('hex') === sha
    ? data
    : undefined;
}

/** sha256 (hex) over the documents as JSON. */
export function setDigest(documents: readonly NodeDocument[]): string {
  return createHash('sha256').update(JSON.stringify(documents)).digest('hex');
}

/**
 * Compiled sets, shared: per assignment (a revision's resources), one set per
 * distinct selection. A new assignment (a new revision) drops the old ones
 * after a few revisions, so memory stays bounded.
 */
export class NodeSetCache {
  private readonly byAssignment = new Map<readonly Resource[], Map<string, NodeSet>>();
  /** Sets compiled (not served from the cache), for metrics and tests. */
  compiled = 0;

  constructor(
    /** Signs a new set's digest; undefined: sets are unsigned. */
    private readonly sign?: (digest: string) => DigestSignature,
    /** Assignments kept (the current revision and a few pinned ones). Defaults to 4. */
    private readonly keep = 4,
  ) {}

  setFor(
    node: Pick<NodeRecord, 'labels' | 'facts'>,
    assignment: Assignment,
    sourceRootOf?: SourceRootOf,
  ): NodeSet {
    const selected = selectFor(node, assignment.resources);
    let sets = this.byAssignment.get(assignment.resources);
    if (!sets) {
      sets = new Map();
      this.byAssignment.set(assignment.resources, sets);
      while (this.byAssignment.size > this.keep)
        this.byAssignment.delete(this.byAssignment.keys().next().value!);
    }
    const key = assignment.revision + '\0' + selected.map((r) => r.id).join('\0');
    let set = sets.get(key);
    if (!set) {
      set = compileSet(assignment.revision, selected, sourceRootOf);
      if (this.sign) set.signature = this.sign(set.digest);
      sets.set(key, set);
      this.compiled++;
    }
    return set;
  }
}
