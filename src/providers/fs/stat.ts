/** lstat that returns undefined for a missing path instead of throwing. */
import { lstatSync, type Stats } from 'node:fs';
import { fsError } from '../../provider/errors.js';

export type NodeType = 'file' | 'directory' | 'symlink' | 'other';

export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fsError('reading', path, err);
  }
}

export function nodeType(st: Stats): NodeType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}
