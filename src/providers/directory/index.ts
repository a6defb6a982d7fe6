/**
 * Directory: a folder's existence, mode and ownership. Parents are not
 * created implicitly (declare them, like Puppet); a non-empty folder is only
 * removed with `force: true`, because its contents may be data nobody declared.
 */
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import * as z from 'zod';
import { compareScalars, type Change } from '../../diff/index.js';
import { fsError, ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import {
  AbsolutePathSchema,
  EnsureSchema,
  formatMode,
  groupName,
  GroupSchema,
  lstatOrUndefined,
  ModeSchema,
  nodeType,
  OwnerSchema,
  parseMode,
  resolveGid,
  resolveUid,
  userName,
  type NodeType,
  PathWatcher,
} from '../fs/index.js';

export const DirectorySpecSchema = z
  .strictObject({
    path: AbsolutePathSchema.describe('Absolute path of the folder.'),
    ensure: EnsureSchema,
    mode: ModeSchema.optional(),
    owner: OwnerSchema.optional(),
    group: GroupSchema.optional(),
    force: z
      .boolean()
      .optional()
      .describe(
        'With ensure: absent or prune, remove the folder even when it is not empty. Defaults to false.',
      ),
  })
  .describe('A folder: existence, mode and ownership.');

export type DirectorySpec = z.infer<typeof DirectorySpecSchema>;

export interface DirectoryDesired {
  spec: DirectorySpec;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface DirectoryActual {
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  /** Number of entries, for the destructive check and display. */
  entries?: number;
}

export const directoryProvider: Provider<DirectorySpec, DirectoryActual, DirectoryDesired> = {
  kind: 'Directory',
  description: 'A folder: existence, mode and ownership.',
  schema: DirectorySpecSchema,
  claims: (spec) => [{ field: 'path', path: spec.path }],

  async resolve(spec) {
    return {
      spec,
      mode: spec.mode !== undefined ? parseMode(spec.mode) : undefined,
      uid: resolveUid(spec.owner),
      gid: resolveGid(spec.group),
    };
  },

  async observe(desired) {
    const st = lstatOrUndefined(desired.spec.path);
    if (!st) return undefined;
    return { type: nodeType(st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  },

  diff(desired, actual) {
    const changes: Change[] = [];
    if (actual && actual.type !== 'directory')
      changes.push({ path: 'type', old: actual.type, new: 'directory', forcesReplace: true });
    const isDir = actual?.type === 'directory';
    const want = {
      mode: desired.mode !== undefined ? formatMode(desired.mode) : undefined,
      owner: desired.uid !== undefined ? userName(desired.uid) : undefined,
      group: desired.gid !== undefined ? groupName(desired.gid) : undefined,
    };
    const have = isDir
      ? { mode: formatMode(actual.mode), owner: userName(actual.uid), group: groupName(actual.gid) }
      : undefined;
    changes.push(...compareScalars('spec.', want, have, ['mode', 'owner', 'group']));
    if (!actual) changes.unshift({ path: 'spec.path', new: desired.spec.path });
    return changes;
  },

  async apply(desired, actual) {
    const path = desired.spec.path;
    if (actual && actual.type !== 'directory')
      throw new ProviderError(`refusing to replace the ${actual.type} at ${path} with a folder`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.path',
        hint: 'remove it first, or choose another spec.path',
      });
    const mode = desired.mode ?? actual?.mode ?? 0o755;
    try {
      if (!actual) mkdirSync(path, { mode });
      if (!actual || actual.mode !== mode) chmodSync(path, mode);
      const uid = desired.uid ?? actual?.uid ?? -1;
      const gid = desired.gid ?? actual?.gid ?? -1;
      if (uid !== (actual?.uid ?? -1) || gid !== (actual?.gid ?? -1)) chownSync(path, uid, gid);
    } catch (err) {
      throw fsError(actual ? 'changing' : 'creating', path, err);
    }
    const st = lstatOrUndefined(path)!;
    return { type: 'directory', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  },

  async destroy(desired, actual) {
    const path = desired.spec.path;
    if (actual.type !== 'directory')
      throw new ProviderError(`${path} is a ${actual.type}, not a folder; not removing it`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.path',
      });
    try {
      if (desired.spec.force) rmSync(path, { recursive: true, force: true });
      else rmdirSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        throw new ProviderError(`folder ${path} is not empty; not removing it`, {
          code: 'SETPOINT_APPLY_REFUSED',
          field: 'spec.force',
          hint: 'set spec.force: true to remove it with everything in it',
        });
      throw fsError('removing', path, err);
    }
  },

  isDestructive(desired, actual) {
    if (actual.type !== 'directory') return false;
    try {
      return readdirSync(desired.spec.path).length > 0;
    } catch {
      return true;
    }
  },

  health(desired, actual) {
    if (!actual) return { status: 'Missing', message: `${desired.spec.path} does not exist` };
    if (actual.type !== 'directory')
      return { status: 'Degraded', message: `${desired.spec.path} is a ${actual.type}, not a folder` };
    return { status: 'Healthy' };
  },

  display(desired, actual) {
    return {
      path: desired.spec.path,
      type: actual.type,
      mode: formatMode(actual.mode),
      owner: userName(actual.uid),
      group: groupName(actual.gid),
    };
  },

  watch(targets, onChange, onError) {
    return new PathWatcher(
      targets.map((t) => ({ id: t.id, path: t.spec.path })),
      onChange,
      onError,
    );
  },
};
