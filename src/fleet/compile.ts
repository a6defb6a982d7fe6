/**
 * A node's desired set: the resources whose nodeSelector selects the node,
 * as manifest documents the agent loads like any folder (its own facts fill
 * `${facts.*}` there). Content-addressed: the digest is over the documents,
 * so nodes that get the same resources share one compiled (and signed) set,
 * and an agent holding that digest has nothing to fetch.
 */
import { createHash } from 'node:crypto';
import { selectionLabels, selectorMatches, type Resource } from '../manifest/index.js';
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
}

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

/** Compiles a set from the selected resources (in id order). */
export function compileSet(revision: string, selected: readonly Resource[]): NodeSet {
  const ids = new Set(selected.map((r) => r.id));
  const notes: string[] = [];
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
        spec: escape(r.spec),
        ...(deps.length ? { dependsOn: deps } : {}),
        ...(Object.keys(r.lifecycle).length ? { lifecycle: r.lifecycle } : {}),
      };
    });
  const digest = setDigest(documents);
  return { digest, revision, documents, notes };
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

  setFor(node: Pick<NodeRecord, 'labels' | 'facts'>, assignment: Assignment): NodeSet {
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
      set = compileSet(assignment.revision, selected);
      if (this.sign) set.signature = this.sign(set.digest);
      sets.set(key, set);
      this.compiled++;
    }
    return set;
  }
}
