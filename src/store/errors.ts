/**
 * Store failures as people read them: which state store, and why (a full
 * disk, a read-only folder, an I/O error), with what to do about it. The
 * SQLite error is kept as the cause.
 */
import { SetpointError } from '../errors.js';

export type StoreErrorCode =
  | 'SETPOINT_STATE_FULL'
  | 'SETPOINT_STATE_READONLY'
  | 'SETPOINT_STATE_UNAVAILABLE'
  | 'SETPOINT_STATE_BUSY'
  | 'SETPOINT_STATE_IO';

export class StoreError extends SetpointError {
  declare readonly code: StoreErrorCode;
  constructor(
    readonly path: string,
    code: StoreErrorCode,
    problem: string,
    hint: string,
    cause: unknown,
  ) {
    super(`state store ${path}: ${problem}`, code, { hint, cause });
  }
}

/** Wraps what SQLite (or the file system under it) threw; anything else is returned as it is. */
export function storeError(path: string, err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const raw = (err as { code?: unknown } | undefined)?.code;
  const code = typeof raw === 'string' ? raw : '';
  const message = (err as Error | undefined)?.message ?? String(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return new StoreError(
      path,
      'SETPOINT_STATE_FULL',
      'disk full',
      'free space on the file system that holds it, then run again; every change made before this was recorded and audited, and one in flight is audited as interrupted at the next start',
      err,
    );
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return new StoreError(
      path,
      'SETPOINT_STATE_READONLY',
      `not writable (${message})`,
      'run as a user that can write the file and its folder, or point --state at a writable place',
      err,
    );
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new StoreError(
      path,
      'SETPOINT_STATE_UNAVAILABLE',
      `cannot open it (${message})`,
      'check that its folder exists and is writable by this user, or point --state elsewhere',
      err,
    );
  if (code.startsWith('SQLITE_BUSY'))
    return new StoreError(
      path,
      'SETPOINT_STATE_BUSY',
      'another process kept it locked for too long',
      'wait for the other setpoint process to finish, then run again',
      err,
    );
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO')
    return new StoreError(
      path,
      'SETPOINT_STATE_IO',
      `I/O error (${code})`,
      'check the disk and the file system that hold it',
      err,
    );
  return err;
}
