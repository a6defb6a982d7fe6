/**
 * File: a regular file's content, mode and ownership. Writes are atomic
 * (temp file, fdatasync, rename); a mode or owner change alone is
 * made in place, so the content and mtime stay untouched.
 */
import { chmodSync, chownSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { contentChange, sha256, isBinary, type Change } from '../../diff/index.js';
import { fsError, ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { SecretError } from '../../secrets/index.js';
import {
  atomicWriteFile,
  formatMode,
  groupName,
  lstatOrUndefined,
  nodeType,
  parseMode,
  resolveGid,
  resolveUid,
  userName,
  type NodeType,
  PathWatcher,
  sweepOnce,
} from '../fs/index.js';
import { FileSpecSchema, type FileSpec } from './spec.js';
import { renderTemplate } from './template.js';

export { FileSpecSchema, type FileSpec } from './spec.js';

export interface FileDesired {
  spec: FileSpec;
  /** The content to write; undefined leaves content unmanaged (an empty file is created). */
  content?: Buffer;
  /** Content came from a secret (or a template given one): never shown, only its keyed hash is kept. */
  sensitive: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface FileActual {
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Present for regular files. */
  content?: Buffer;
}

/** The spec field the content comes from, for change paths. */
function contentField(spec: FileSpec): string {
  if (spec.source !== undefined) return 'spec.source';
  if (spec.contentFrom !== undefined) return 'spec.contentFrom';
  if (spec.template !== undefined) return 'spec.template';
  return 'spec.content';
}

/** Files bigger than this are compared by size and digest only. */
const MAX_READ_BYTES = 64 * 1024 * 1024;
const PROCESS_UID = process.getuid?.() ?? 0;
const PROCESS_GID = process.getgid?.() ?? 0;

export const fileProvider: Provider<FileSpec, FileActual, FileDesired> = {
  kind: 'File',
  description:
    'A regular file: content (inline, from a source file, a secret or a template), mode and ownership.',
  schema: FileSpecSchema,
  // A regular file: nothing can be declared inside it.
  claims: (spec) => [{ field: 'path', path: spec.path, leaf: true }],

  async resolve(spec, ctx) {
    const desired: FileDesired = {
      spec,
      sensitive: false,
      mode: spec.mode !== undefined ? parseMode(spec.mode) : undefined,
      uid: resolveUid(spec.owner),
      gid: resolveGid(spec.group),
    };
    if (spec.content !== undefined) desired.content = Buffer.from(spec.content, 'utf8');
    else if (spec.source !== undefined) desired.content = ctx.readFile(spec.source, 'spec.source');
    else if (spec.template !== undefined) {
      // Only here is nunjucks loaded: Files without a template never pay for it.
      const rendered = await renderTemplate(spec, ctx);
      desired.content = rendered.content;
      desired.sensitive = rendered.secrets.length > 0;
    } else if (spec.contentFrom !== undefined) {
      try {
        desired.content = Buffer.from(
          await ctx.secrets.resolve(spec.contentFrom.secretRef, ctx.baseDir),
          'utf8',
        );
      } catch (err) {
        if (err instanceof SecretError)
          throw new ProviderError(err.message, {
            code: err.code,
            field: 'spec.contentFrom.secretRef',
            hint: err.hint,
          });
        throw err;
      }
      desired.sensitive = true;
    }
    return desired;
  },

  sweep: (desired) => sweepOnce(dirname(desired.spec.path)),

  async observe(desired) {
    const path = desired.spec.path;
    const st = lstatOrUndefined(path);
    if (!st) return undefined;
    const actual: FileActual = {
      type: nodeType(st),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: st.size,
    };
    if (actual.type === 'file' && st.size <= MAX_READ_BYTES) {
      try {
        const content = readFileSync(path);
        // Keep one buffer when they match: a no-op run over many files then retains half the memory.
        actual.content = desired.content?.equals(content) ? desired.content : content;
      } catch (err) {
        throw fsError('reading', path, err);
      }
    }
    return actual;
  },

  diff(desired, actual) {
    const changes: Change[] = [];
    if (actual && actual.type !== 'file') {
      changes.push({ path: 'type', old: actual.type, new: 'file', forcesReplace: true });
    }
    const isFile = actual?.type === 'file';
    if (desired.content !== undefined && !(isFile && actual.content?.equals(desired.content))) {
      const field = contentField(desired.spec);
      if (desired.sensitive) changes.push({ path: field, sensitive: true });
      else changes.push(contentChange(field, isFile ? actual.content : undefined, desired.content));
    }
    if (desired.mode !== undefined && (!isFile || actual.mode !== desired.mode))
      changes.push({
        path: 'spec.mode',
        old: isFile ? formatMode(actual.mode) : undefined,
        new: formatMode(desired.mode),
      });
    if (desired.uid !== undefined && (!isFile || actual.uid !== desired.uid))
      changes.push({
        path: 'spec.owner',
        old: isFile ? userName(actual.uid) : undefined,
        new: userName(desired.uid),
      });
    if (desired.gid !== undefined && (!isFile || actual.gid !== desired.gid))
      changes.push({
        path: 'spec.group',
        old: isFile ? groupName(actual.gid) : undefined,
        new: groupName(desired.gid),
      });
    if (!actual) changes.unshift({ path: 'spec.path', new: desired.spec.path });
    return changes;
  },

  async apply(desired, actual) {
    const path = desired.spec.path;
    if (actual?.type === 'directory' || actual?.type === 'other')
      throw new ProviderError(
        `refusing to replace the ${actual.type === 'other' ? 'special file' : 'folder'} at ${path} with a file`,
        {
          code: 'SETPOINT_APPLY_REFUSED',
          field: 'spec.path',
          hint: 'remove it first (a Directory with ensure: absent), or choose another spec.path',
        },
      );
    const isFile = actual?.type === 'file';
    const rewrite = !isFile || (desired.content !== undefined && !actual.content?.equals(desired.content));
    const mode = desired.mode ?? (isFile ? actual.mode : 0o644);
    if (rewrite) {
      const content = desired.content ?? Buffer.alloc(0);
      await atomicWriteFile(path, content, { mode, uid: desired.uid, gid: desired.gid });
      return {
        type: 'file',
        mode,
        uid: desired.uid ?? PROCESS_UID,
        gid: desired.gid ?? PROCESS_GID,
        size: content.length,
        content,
      };
    }
    try {
      if (actual.mode !== mode) chmodSync(path, mode);
      const uid = desired.uid ?? actual.uid;
      const gid = desired.gid ?? actual.gid;
      if (uid !== actual.uid || gid !== actual.gid) chownSync(path, uid, gid);
      return { ...actual, mode, uid, gid };
    } catch (err) {
      throw fsError('changing', path, err);
    }
  },

  async destroy(desired, actual) {
    if (actual.type === 'directory')
      throw new ProviderError(`${desired.spec.path} is a folder, not a file; not removing it`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.path',
        hint: 'manage it with a Directory resource instead',
      });
    try {
      unlinkSync(desired.spec.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError('removing', desired.spec.path, err);
    }
  },

  isDestructive(_desired, actual) {
    return actual.type === 'file' && actual.size > 0;
  },

  health(desired, actual) {
    if (!actual) return { status: 'Missing', message: `${desired.spec.path} does not exist` };
    if (actual.type !== 'file')
      return { status: 'Degraded', message: `${desired.spec.path} is a ${actual.type}, not a file` };
    return { status: 'Healthy' };
  },

  display(desired, actual) {
    const shown: Record<string, unknown> = {
      path: desired.spec.path,
      type: actual.type,
      mode: formatMode(actual.mode),
      owner: userName(actual.uid),
      group: groupName(actual.gid),
      size: actual.size,
    };
    if (actual.content) {
      shown.sha256 = desired.sensitive ? undefined : sha256(actual.content);
      if (!desired.sensitive && actual.content.length <= 4096 && !isBinary(actual.content))
        shown.content = actual.content.toString('utf8');
    }
    return shown;
  },

  watch(targets, onChange, onError) {
    return new PathWatcher(
      targets.map((t) => ({ id: t.id, path: t.spec.path })),
      onChange,
      onError,
    );
  },
};
