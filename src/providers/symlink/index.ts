/**
 * Symlink: a symbolic link and its target. Created under a temp name and
 * renamed into place, so the link is replaced atomically. An existing regular
 * file at the path is only replaced with `force: true`; a folder never is.
 */
import { readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import type { Change } from '../../diff/index.js';
import { fsError, ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import {
  AbsolutePathSchema,
  EnsureSchema,
  lstatOrUndefined,
  nodeType,
  PathWatcher,
  removeQuietly,
  newTempPath,
  sweepOnce,
  tempDone,
  type NodeType,
} from '../fs/index.js';

export const SymlinkSpecSchema = z
  .strictObject({
    path: AbsolutePathSchema.describe('Absolute path of the link.'),
    target: z
      .string()
      .min(1)
      .describe("What the link points to (absolute, or relative to the link's folder)."),
    ensure: EnsureSchema,
    force: z.boolean().optional().describe('Replace a regular file at the path. Defaults to false.'),
  })
  .describe('A symbolic link.');

export type SymlinkSpec = z.infer<typeof SymlinkSpecSchema>;

export interface SymlinkActual {
  type: NodeType;
  target?: string;
}

export const symlinkProvider: Provider<SymlinkSpec, SymlinkActual> = {
  kind: 'Symlink',
  description: 'A symbolic link and its target.',
  schema: SymlinkSpecSchema,
  // The link itself; what it points to may be managed by another resource.
  claims: (spec) => [{ field: 'path', path: spec.path }],

  async observe(spec) {
    const st = lstatOrUndefined(spec.path);
    if (!st) return undefined;
    const type = nodeType(st);
    if (type !== 'symlink') return { type };
    try {
      return { type, target: readlinkSync(spec.path) };
    } catch (err) {
      throw fsError('reading', spec.path, err);
    }
  },

  diff(spec, actual) {
    const changes: Change[] = [];
    if (actual && actual.type !== 'symlink')
      changes.push({ path: 'type', old: actual.type, new: 'symlink', forcesReplace: true });
    if (actual?.target !== spec.target)
      changes.push({ path: 'spec.target', old: actual?.target, new: spec.target });
    return changes;
  },

  async apply(spec, actual) {
    // In sync: relinking would still change the inode and the folder's mtime.
    if (actual?.type === 'symlink' && actual.target === spec.target) return actual;
    if (actual && actual.type !== 'symlink' && !(actual.type === 'file' && spec.force))
      throw new ProviderError(`refusing to replace the ${actual.type} at ${spec.path} with a symlink`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: actual.type === 'file' ? 'spec.force' : 'spec.path',
        hint:
          actual.type === 'file'
            ? 'set spec.force: true to replace the file'
            : 'remove it first, or choose another spec.path',
      });
    sweepOnce(dirname(spec.path));
    const tmp = newTempPath(spec.path);
    try {
      symlinkSync(spec.target, tmp);
      renameSync(tmp, spec.path);
    } catch (err) {
      removeQuietly(tmp);
      throw fsError('linking', spec.path, err);
    } finally {
      tempDone(tmp);
    }
    return { type: 'symlink', target: spec.target };
  },

  async destroy(spec, actual) {
    if (actual.type !== 'symlink')
      throw new ProviderError(`${spec.path} is a ${actual.type}, not a symlink; not removing it`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.path',
      });
    try {
      unlinkSync(spec.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError('removing', spec.path, err);
    }
  },

  isDestructive: () => false,

  sweep: (spec) => sweepOnce(dirname(spec.path)),

  health(spec, actual) {
    if (!actual) return { status: 'Missing', message: `${spec.path} does not exist` };
    if (actual.type !== 'symlink')
      return { status: 'Degraded', message: `${spec.path} is a ${actual.type}, not a symlink` };
    return { status: 'Healthy' };
  },

  display(spec, actual) {
    return { path: spec.path, type: actual.type, target: actual.target };
  },

  watch(targets, onChange, onError) {
    return new PathWatcher(
      targets.map((t) => ({ id: t.id, path: t.spec.path })),
      onChange,
      onError,
    );
  },
};
