/**
 * Exclusive target paths. A kind declares (through its provider's `claims`)
 * which spec fields name a path that only one resource may manage: two Files
 * on one path would share a temp name, report one created while the file
 * holds the other's content, and flip it on every run. Claims are checked
 * after normalisation (`//`, `.`, `..`, a trailing `/`), so spellings of one
 * path cannot slip past; and a claim inside a path another resource declares
 * as a regular file (nothing can exist below it) is a conflict too.
 */
import { posix } from 'node:path';
import type { Diagnostic, Diagnostics } from './diagnostics.js';
import type { FieldLocator } from './locate.js';
import type { ResourceKey } from './key.js';
import type { Resource } from './types.js';

/** A target path a resource owns: no other resource may claim it. */
export interface PathClaim {
  /** The spec field that names it, relative to spec (e.g. `path`). */
  field: string;
  /** The path as written in the spec. */
  path: string;
  /** Nothing can exist below it (a regular file), so a claim inside it conflicts too. Defaults to false. */
  leaf?: boolean;
  /**
   * A part of the path, not all of it (FileEdit: a line or key of a file):
   * other shared claims on the path are allowed, an exclusive one (a File
   * owning the whole file) conflicts. Defaults to false.
   */
  shared?: boolean;
}

/** Where claims come from: the kind's provider. Returns [] for kinds that claim nothing. */
export type ClaimsOf = (kind: string, spec: unknown, key: ResourceKey) => readonly PathClaim[];

export const PATH_CONFLICT = 'SETPOINT_PATH_CONFLICT';
export const PATH_INVALID = 'SETPOINT_PATH_INVALID';

/** `p` with `//`, `.`, `..` resolved and no trailing `/` (except the root itself). */
export function normalizeClaimPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

type At = (r: Resource, field: string) => Pick<Diagnostic, 'file' | 'line' | 'column'>;

/** Problems of one claimed path on its own: relative, control characters, the root. */
export function claimPathProblem(p: string): { summary: string; hint: string } | undefined {
  const control = /[\u0000-\u001f\u007f]/.exec(p);
  if (control) {
    const name = { '\0': 'a NUL byte', '\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab' }[
      control[0]
    ];
    return {
      summary: `the path contains ${name ?? `the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')}`}`,
      hint: 'control characters in a path are almost always a quoting mistake (a block scalar, an escape); write the path on one line',
    };
  }
  if (!p.startsWith('/'))
    return {
      summary: 'must be an absolute path (starting with /)',
      hint: 'write the full path, e.g. /etc/motd',
    };
  if (normalizeClaimPath(p) === '/')
    return {
      summary: `the path ${JSON.stringify(p)} is the root folder`,
      hint: 'a resource cannot manage / itself: name a file or folder below it',
    };
  return undefined;
}

/** Reports claimed paths that are unusable on their own. Returns whether all were fine. */
export function checkClaimPaths(
  resource: Resource,
  claims: readonly PathClaim[],
  at: At,
  diags: Diagnostics,
): boolean {
  let ok = true;
  for (const c of claims) {
    const problem = claimPathProblem(c.path);
    if (!problem) continue;
    ok = false;
    diags.error({
      code: PATH_INVALID,
      summary: problem.summary,
      ...at(resource, c.field),
      resourceId: resource.id,
      field: `spec.${c.field}`,
      found: JSON.stringify(c.path),
      hint: problem.hint,
    });
  }
  return ok;
}

interface Owner {
  resource: Resource;
  claim: PathClaim;
}

/**
 * Reports every resource whose claimed path another resource already claims
 * (the first declared keeps it), or that lies inside a path claimed as a
 * regular file. Both resources and both declarations are named.
 */
export function checkClaimConflicts(
  resources: readonly Resource[],
  claimsOf: ClaimsOf,
  at: At,
  diags: Diagnostics,
): void {
  const owners = new Map<string, Owner>();
  const claimed: Array<Owner & { path: string }> = [];
  const conflicted = new Set<string>();
  const where = (o: Owner) => {
    const pos = at(o.resource, o.claim.field);
    return `${o.resource.id} declares it at ${pos.file}:${pos.line}:${pos.column} (spec.${o.claim.field})`;
  };
  for (const resource of resources) {
    for (const claim of claimsOf(resource.key.kind, resource.spec, resource.key)) {
      if (claimPathProblem(claim.path)) continue;
      const path = normalizeClaimPath(claim.path);
      const first = owners.get(path);
      // Parts of one file (FileEdits) compose; nothing composes with a resource owning the whole path.
      if (first && first.resource.id !== resource.id && !(first.claim.shared && claim.shared)) {
        conflicted.add(resource.id);
        const partial = first.claim.shared || claim.shared;
        diags.error({
          code: PATH_CONFLICT,
          summary: partial
            ? `${path} is already ${first.claim.shared ? 'edited in part' : 'managed as a whole'} by ${first.resource.id}; a resource owning a whole file and one editing a part of it cannot meet`
            : `${path} is already managed by ${first.resource.id}; two resources cannot manage one path`,
          ...at(resource, claim.field),
          resourceId: resource.id,
          field: `spec.${claim.field}`,
          detail: where(first),
          hint: partial
            ? 'own the whole file with one File (put the line, block or key in its content or template), or edit parts of it with FileEdits only'
            : `remove one of them, or merge them into one resource (${first.resource.id} or ${resource.id})`,
        });
        continue;
      }
      if (!first) owners.set(path, { resource, claim });
      claimed.push({ resource, claim, path });
    }
  }
  for (const c of claimed) {
    if (conflicted.has(c.resource.id)) continue;
    for (let dir = posix.dirname(c.path); dir !== '/'; dir = posix.dirname(dir)) {
      const parent = owners.get(dir);
      if (!parent?.claim.leaf || parent.resource.id === c.resource.id) continue;
      conflicted.add(c.resource.id);
      diags.error({
        code: PATH_CONFLICT,
        summary: `${c.path} is inside ${dir}, which ${parent.resource.id} manages as a regular file`,
        ...at(c.resource, c.claim.field),
        resourceId: c.resource.id,
        field: `spec.${c.claim.field}`,
        detail: where(parent),
        hint: `a file cannot hold entries: declare ${dir} as a Directory, or move ${c.path}`,
      });
      break;
    }
  }
}

/** `at` for validated resources: the claimed field's exact position. */
export function claimPosition(locator: FieldLocator): At {
  return (r, field) => {
    const o = r.origin;
    const path = ['spec', ...field.split('.')];
    const pos = locator.locate(o.file, o.index, path);
    return { file: pos?.file ?? o.file, line: pos?.line ?? o.line, column: pos?.column ?? o.column };
  };
}
