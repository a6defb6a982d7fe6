/**
 * Implicit dependencies, as Puppet's autorequire: a resource whose spec.path
 * lies under a folder managed by a Directory resource depends on that
 * Directory (the nearest one), so folders are created before what goes in
 * them, and removed after, without anyone writing dependsOn. Explicit
 * dependsOn still wins; a self-dependency or an existing edge is not added.
 */
import { dirname } from 'node:path';
import type { Resource, ResourceId } from '../manifest/index.js';

const PATH_KINDS = new Set(['File', 'Directory', 'Symlink']);

function pathOf(r: Resource): string | undefined {
  if (!PATH_KINDS.has(r.key.kind)) return undefined;
  const p = (r.spec as { path?: unknown } | null)?.path;
  return typeof p === 'string' ? p : undefined;
}

/** Adds the implicit edges to each resource's dependsOn (in place). Returns how many were added. */
export function addImplicitDependencies(resources: readonly Resource[]): number {
  const directories = new Map<string, ResourceId>();
  for (const r of resources) {
    const p = r.key.kind === 'Directory' ? pathOf(r) : undefined;
    // ensure: absent folders are not parents anyone can rely on.
    if (p && (r.spec as { ensure?: string }).ensure !== 'absent') directories.set(p, r.id);
  }
  if (directories.size === 0) return 0;
  let added = 0;
  for (const r of resources) {
    const p = pathOf(r);
    if (!p) continue;
    for (let dir = dirname(p); ; dir = dirname(dir)) {
      const owner = directories.get(dir);
      if (owner && owner !== r.id) {
        if (!r.dependsOn.includes(owner)) {
          r.dependsOn = [...r.dependsOn, owner];
          added++;
        }
        break;
      }
      if (dir === dirname(dir)) break;
    }
  }
  return added;
}
