/**
 * Preflight: target paths that cannot be written are plan errors, not apply
 * failures halfway through a run. A File, Directory or Symlink to be created
 * needs its parent folder to exist (and be a writable folder) or to be
 * declared by a Directory (or Symlink) resource; folders are never created
 * implicitly.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FieldLocator, Resource } from '../manifest/index.js';
import { ProviderError } from '../provider/errors.js';
import { errorDiagnostic } from './diagnose.js';
import type { Observation } from './observe.js';

/** Kinds that create a node at `spec.path` (FileEdit writes a temp file beside it); `Directory` also declares folders. */
const PATH_KINDS = new Set(['File', 'Directory', 'Symlink', 'FileEdit']);

interface PathSpec {
  path?: unknown;
  ensure?: unknown;
}

/** Marks observations whose target path cannot be created with an error diagnostic. */
export function checkTargetPaths(
  observations: readonly Observation[],
  declared: readonly Resource[],
  locator?: FieldLocator,
): void {
  const folders = new Set<string>();
  for (const r of declared) {
    const spec = r.spec as PathSpec;
    // A declared symlink may point to a folder: trust it rather than refuse a valid plan.
    if (
      (r.key.kind === 'Directory' || r.key.kind === 'Symlink') &&
      typeof spec.path === 'string' &&
      spec.ensure !== 'absent'
    )
      folders.add(spec.path);
  }
  const seen = new Map<string, string | undefined>();
  for (const o of observations) {
    if (o.error || o.orphan || o.absent || o.exists || !PATH_KINDS.has(o.resource.key.kind)) continue;
    const path = (o.resource.spec as PathSpec).path;
    if (typeof path !== 'string' || path === '/') continue;
    const parent = dirname(path);
    if (folders.has(parent)) continue;
    if (!seen.has(parent)) seen.set(parent, parentProblem(parent));
    const problem = seen.get(parent);
    if (problem)
      o.error = errorDiagnostic(
        new ProviderError(`cannot create ${path}: ${problem}`, {
          code: 'SETPOINT_TARGET_UNWRITABLE',
          field: 'spec.path',
          hint: 'declare the parent folder as a Directory resource (and add it to dependsOn), or choose another spec.path',
        }),
        o.resource,
        locator,
        'cannot write',
      );
  }
}

/** Why nothing can be created in `folder`, or undefined when it can. */
function parentProblem(folder: string): string | undefined {
  let st;
  try {
    st = statSync(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return `the parent folder ${folder} does not exist, and no Directory resource declares it`;
    if (code === 'ENOTDIR') return `a part of ${folder} is a file, not a folder`;
    return `cannot read the parent folder ${folder} (${code ?? (err as Error).message})`;
  }
  if (!st.isDirectory()) return `the parent ${folder} is not a folder`;
  try {
    accessSync(folder, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS'
      ? `the parent folder ${folder} is on a read-only file system`
      : `the parent folder ${folder} is not writable (${code})`;
  }
  return undefined;
}
