/**
 * Atomic file replacement: write a temp file in the same folder, make it
 * durable (fdatasync), rename it over the target. A crash at any point
 * leaves either the old file or the new one, never a partial file. The temp
 * name is fixed per target, so a retry after a crash reuses (and removes) it.
 *
 * Local file operations are synchronous on purpose: they take microseconds,
 * and the thread-pool hop of the async API costs more than the work. The
 * flush is the exception: it waits for the disk. (A group commit, one
 * syncfs(2) per batch through `sync -f`, measured slower: 6.0 s against
 * 4.6 s for 10,000 new files, and its spawn blocks the event loop.)
 */
import {
  closeSync,
  constants,
  fdatasync,
  fchmodSync,
  fchownSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fsError } from '../../provider/errors.js';

const datasync = promisify(fdatasync);

export interface WriteOptions {
  /** Permission bits; applied with fchmod so the umask does not interfere. */
  mode: number;
  uid?: number;
  gid?: number;
}

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.setpoint.tmp`);
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export async function atomicWriteFile(path: string, data: Buffer, options: WriteOptions): Promise<void> {
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    fd = openExclusive(tmp, options.mode);
  } catch (err) {
    throw fsError('writing', path, err);
  }
  let open = true;
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    fchmodSync(fd, options.mode);
    if (options.uid !== undefined || options.gid !== undefined)
      fchownSync(fd, options.uid ?? -1, options.gid ?? -1);
    // In the thread pool: the event loop (and serve's other work) goes on meanwhile.
    await datasync(fd);
    closeSync(fd);
    open = false;
  } catch (err) {
    // Never close twice: the number may already belong to another file.
    if (open) closeSync(fd);
    removeQuietly(tmp);
    throw fsError('writing', path, err);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw fsError('replacing', path, err);
  }
}

/**
 * O_EXCL|O_NOFOLLOW: never write through a symlink planted at the temp name.
 * A leftover temp file from a crash is removed first.
 */
function openExclusive(tmp: string, mode: number): number {
  try {
    return openSync(tmp, CREATE_FLAGS, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(tmp);
    return openSync(tmp, CREATE_FLAGS, mode);
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
