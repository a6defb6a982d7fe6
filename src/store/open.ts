/**
 * Opens the store a location names: a postgres:// URL or a SQLite file path.
 * A state that cannot be opened is named with its path and the cause the
 * file system gives (read-only file system, permission denied), not
 * SQLite's bare "unable to open database file".
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { SetpointError } from '../errors.js';
import { isPostgresUrl } from './postgres/url.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** The PostgreSQL password (from a secretRef); a SQLite state has none. */
  password?: string;
}

export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(location)) {
    // Loaded only when used: a SQLite project never loads the pg driver.
    const { PostgresStore } = await import('./postgres/index.js');
    return PostgresStore.open(location, { password: options.password });
  }
  const { SqliteStore } = await import('./sqlite/index.js');
  try {
    return new SqliteStore(location);
  } catch (err) {
    throw stateOpenError(location, err);
  }
}

const WHY: Record<string, { reason: string; hint: (dir: string) => string }> = {
  EROFS: {
    reason: 'the file system is read-only',
    hint: () => 'remount it read-write, or point --state (or state: in setpoint.yaml) at a writable location',
  },
  EACCES: {
    reason: 'permission denied',
    hint: (dir) => `run setpoint as a user that may write ${dir}, or point --state at a writable location`,
  },
  EPERM: {
    reason: 'operation not permitted',
    hint: (dir) => `run setpoint as a user that may write ${dir}, or point --state at a writable location`,
  },
  ENOSPC: { reason: 'the disk is full', hint: () => 'free space on that file system, or move the state' },
  ENOTDIR: {
    reason: 'a part of the path is a file, not a folder',
    hint: () => 'point --state at a path whose folders exist or can be made',
  },
};

/** Why the state at `path` cannot be opened for writing: the errno code the OS gives, if any. */
function writeProblem(path: string, err: unknown): string | undefined {
  const own = (err as NodeJS.ErrnoException).code;
  if (own && own in WHY) return own;
  for (const target of existsSync(path) ? [path, dirname(path)] : [dirname(path)])
    try {
      accessSync(target, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code) return code;
    }
  return undefined;
}

function stateOpenError(path: string, err: unknown): SetpointError {
  const code = writeProblem(path, err);
  const why = code ? WHY[code] : undefined;
  const detail = (err as Error).message;
  if (why)
    return new SetpointError(
      `cannot open the state ${path}: ${why.reason} (${code})`,
      'SETPOINT_STATE_UNWRITABLE',
      { hint: why.hint(dirname(path)), cause: err },
    );
  return new SetpointError(`cannot open the state ${path}: ${detail}`, 'SETPOINT_STATE_UNREADABLE', {
    hint: 'check that the file is a setpoint state (SQLite) and that its folder is writable',
    cause: err,
  });
}
