/** The resource model of DESIGN.md: one manifest document is one resource. */
import { createHash } from 'node:crypto';
import type { ResourceId, ResourceKey } from './key.js';
import type { NodeSelector } from './node-selector.js';

export type Remediation = 'auto' | 'alert' | 'approve';
export type Priority = 'critical' | 'high' | 'normal' | 'low';

export const PRIORITIES: readonly Priority[] = ['critical', 'high', 'normal', 'low'];

/** Engine-level behaviour of a resource; every field is optional in manifests. */
export interface Lifecycle {
  /** What `serve` does about drift. Defaults to the project's default (auto). */
  remediation?: Remediation;
  /** Delete when the resource leaves the desired state. Defaults to false. */
  prune?: boolean;
  /** Refuse any plan that deletes or replaces this resource. Defaults to false. */
  preventDestroy?: boolean;
  /** Field paths (e.g. `spec.mode`) whose differences are ignored after creation. Defaults to []. */
  ignoreChanges?: string[];
  /** Ordering of work under `serve`. Defaults to normal. */
  priority?: Priority;
}

export interface Metadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Where a resource was declared. */
export interface Origin {
  file: string;
  line: number;
  column: number;
  /** Index of the document within its file. */
  index: number;
}

export interface Resource<Spec = unknown> {
  id: ResourceId;
  key: ResourceKey;
  metadata: Metadata;
  spec: Spec;
  /** Normalised ids (`Kind/namespace/name`). */
  dependsOn: ResourceId[];
  lifecycle: Lifecycle;
  origin: Origin;
  /** sha256 of the declared fields (id, labels, annotations, spec, dependsOn, lifecycle). */
  digest: string;
  /** The named source that declares it (and owns it). Set by the loader; defaults to "local". */
  source?: string;
  /** The enrolled nodes it goes to (with its source's selector); undefined: the server's own host. */
  nodeSelector?: NodeSelector;
}

export function declaredDigest(r: Omit<Resource, 'digest' | 'origin' | 'key'>): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        r.id,
        r.metadata.labels,
        r.metadata.annotations,
        r.spec,
        r.dependsOn,
        r.lifecycle,
        // Only when present: resources without one keep the digests they always had.
        ...(r.nodeSelector ? [r.nodeSelector] : []),
      ]),
    )
    .digest('hex');
}
