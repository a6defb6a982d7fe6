/**
 * FileEdit: one part of a file setpoint does not own — a line, a marked
 * block, or a key of an INI, JSON, YAML, TOML or env file. Only that part is
 * observed, compared and rewritten; every other byte of the file stays as
 * it was. The file is rewritten atomically (temp file, fdatasync, rename)
 * with its mode and owner kept. Several FileEdits may share a file (their
 * writes to one file are serialised, each re-reading it first); a File
 * owning the whole path conflicts with them at validation.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsError, ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { linearRegex } from '../../util/linear-regex.js';
import { atomicWriteFile, lstatOrUndefined, PathWatcher, sweepOnce } from '../fs/index.js';
import { blockEditor } from './block.js';
import type { Editor } from './editor.js';
import { keyEditor } from './key.js';
import { lineEditor } from './line.js';
import { DEFAULT_MARKER, FileEditSpecSchema, formatOf, keySegments, type FileEditSpec } from './spec.js';

export { FileEditSpecSchema, type FileEditSpec } from './spec.js';

export interface FileEditDesired {
  spec: FileEditSpec;
  editor: Editor;
}

export interface FileEditActual {
  /** The managed part as the file holds it: the lines, the block's text, or `{value}` of the key. */
  part: unknown;
}

/** Writes to one file, one at a time within this process (FileEdits on one file compose). */
const queues = new Map<string, Promise<unknown>>();

function serialised<T>(path: string, work: () => Promise<T>): Promise<T> {
  const prev = queues.get(path) ?? Promise.resolve();
  const next = prev.then(work, work);
  const tail = next.catch(() => undefined);
  queues.set(path, tail);
  void tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return next;
}

function editorFor(spec: FileEditSpec, id: string): Editor {
  if (spec.line !== undefined)
    return lineEditor(spec.line, spec.match !== undefined ? linearRegex(spec.match) : undefined);
  if (spec.block !== undefined)
    return blockEditor(spec.block, (spec.marker ?? DEFAULT_MARKER).replaceAll('{id}', id));
  const format = spec.format ?? formatOf(spec.path)!;
  return keyEditor(format, keySegments(spec.key!, format), spec.value);
}

/** The file's text, or undefined when it does not exist. */
function readText(path: string): string | undefined {
  const st = lstatOrUndefined(path);
  if (!st) return undefined;
  if (!st.isFile())
    throw new ProviderError(
      st.isSymbolicLink()
        ? `${path} is a symlink (to ${readlinkSync(path)}), not a regular file`
        : `${path} is not a regular file`,
      {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.path',
        // Rewriting through a link would replace the link with a file.
        hint: st.isSymbolicLink()
          ? 'point spec.path at the file the link leads to'
          : 'FileEdit edits regular files; point spec.path at one',
      },
    );
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fsError('reading', path, err);
  }
}

/** Rewrites `path` atomically when `next` differs from `text`, keeping its mode and owner. */
async function write(path: string, text: string | undefined, next: string): Promise<void> {
  if (next === text) return;
  const st = lstatOrUndefined(path);
  await atomicWriteFile(path, Buffer.from(next, 'utf8'), {
    mode: st ? st.mode & 0o7777 : 0o644,
    uid: st?.uid,
    gid: st?.gid,
  });
}

export const fileEditProvider: Provider<FileEditSpec, FileEditActual, FileEditDesired> = {
  kind: 'FileEdit',
  description:
    'A line, a marked block, or a key (INI, JSON, YAML, TOML, env) of a file setpoint does not own.',
  schema: FileEditSpecSchema,
  // A part of the file: other FileEdits may edit it too; a File owning it may not.
  claims: (spec) => [{ field: 'path', path: spec.path, leaf: true, shared: true }],

  async resolve(spec, ctx) {
    return { spec, editor: editorFor(spec, ctx.id) };
  },

  sweep: (desired) => sweepOnce(dirname(desired.spec.path)),

  async observe(desired) {
    const text = readText(desired.spec.path);
    if (text === undefined) return undefined;
    const part = desired.editor.read(text);
    return part === undefined ? undefined : { part };
  },

  diff(desired, actual) {
    if (actual && desired.editor.inSync(actual.part)) return [];
    return desired.editor.changes(actual?.part);
  },

  async apply(desired) {
    const path = desired.spec.path;
    return serialised(path, async () => {
      // Re-read: another FileEdit of this file may have written it since observe.
      const text = readText(path);
      if (text === undefined && !desired.spec.create)
        throw new ProviderError(`${path} does not exist`, {
          code: 'SETPOINT_APPLY_FAILED',
          field: 'spec.path',
          hint: 'set spec.create: true to create it, or have the resource that makes it (a Package) run first with dependsOn',
        });
      const next = desired.editor.apply(text ?? '');
      await write(path, text, next);
      return { part: desired.editor.read(next) };
    });
  },

  async destroy(desired) {
    const path = desired.spec.path;
    await serialised(path, async () => {
      const text = readText(path);
      if (text === undefined) return;
      await write(path, text, desired.editor.remove(text));
    });
  },

  isDestructive: () => false,

  health(desired, actual) {
    if (!actual) return { status: 'Missing', message: `${desired.spec.path} does not hold the managed part` };
    return { status: 'Healthy' };
  },

  display(desired, actual) {
    return { path: desired.spec.path, part: actual.part };
  },

  watch(targets, onChange, onError) {
    return new PathWatcher(
      targets.map((t) => ({ id: t.id, path: t.spec.path })),
      onChange,
      onError,
    );
  },
};
