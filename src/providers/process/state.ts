/**
 * Supervision state on disk, under `<workDir>/<namespace>/<name>/`: one JSON
 * file per replica (`replica-<i>.json`) and a marker (`resource.json`) that
 * says the resource was applied (so `replicas: 0` is not "absent"). Files are
 * replaced atomically (temp file, fsync, rename): a crash leaves the old
 * record or the new one. Secret values never reach these files: the spec a
 * replica was started with keeps secret env values as keyed digests only.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../../provider/errors.js';
import { atomicWriteFileSync, newTempPath, tempDone } from '../fs/index.js';
import type { ProcessIdentity } from './proc.js';

/** An env value as recorded: the value itself, or a keyed digest when it came from a secret. */
export type RecordedEnvValue = { value: string } | { digest: string };

/** The parts of the spec that a running replica cannot pick up without a restart. */
export interface StartedSpec {
  command: string;
  /** The args before `${replica}` substitution. */
  args: string[];
  /** The absolute working folder. */
  cwd: string;
  env: Record<string, RecordedEnvValue>;
}

export interface ExitRecord {
  /** The pid that exited (an exit of an older pid is history, not this run). */
  pid: number;
  /** null when unknown (a replica that was not our child) or killed by a signal. */
  code: number | null;
  signal: string | null;
  /** Epoch ms when the exit was seen. */
  at: number;
}

/** One replica's record. */
export interface ReplicaRecord {
  version: 1;
  index: number;
  /** The running process; absent after its exit was handled (then it waits for a restart, or for nothing). */
  process?: ProcessIdentity;
  /** The mark token (`SETPOINT_REPLICA_MARK`) of `process`; absent on records older than marks. */
  token?: string;
  /**
   * A start in progress: recorded before the spawn, replaced by `process`
   * and `token` once the pid is known. Left behind by a setpoint that died
   * in between; the next one finds the process by its token (see census.ts).
   */
  intent?: { token: string; at: number };
  /** Digest of `started`. */
  digest: string;
  started: StartedSpec;
  /** Restarts after an exit, since this spec was first started. */
  restarts: number;
  /** Exits in a row that came sooner than twice backoff.max after a start. */
  failures: number;
  /** Epoch ms of the last start. */
  startedAt: number;
  lastExit?: ExitRecord;
  /** Epoch ms before which the crash-loop backoff forbids a restart. */
  nextStartAt?: number;
}

export interface ResourceMarker {
  id: string;
  createdAt: string;
}

const REPLICA_FILE = /^replica-(\d+)\.json$/;

export function replicaPath(stateDir: string, index: number): string {
  return join(stateDir, `replica-${index}.json`);
}

export function markerPath(stateDir: string): string {
  return join(stateDir, 'resource.json');
}

/** Replica records by index; unreadable or foreign files are skipped. Empty when the folder is missing. */
export function readReplicas(stateDir: string): Map<number, ReplicaRecord> {
  const out = new Map<number, ReplicaRecord>();
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw fsError('reading', stateDir, err, 'metadata.name');
  }
  for (const name of names) {
    const m = REPLICA_FILE.exec(name);
    if (!m) continue;
    const rec = readReplica(join(stateDir, name));
    if (rec && rec.index === Number(m[1])) out.set(rec.index, rec);
  }
  return out;
}

export function readReplica(path: string): ReplicaRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(path, 'utf8')) as ReplicaRecord;
    return rec.version === 1 && Number.isInteger(rec.index) ? rec : undefined;
  } catch {
    // Missing, or torn by something other than us (our writes are atomic): treated as no record.
    return undefined;
  }
}

export function hasMarker(stateDir: string): boolean {
  try {
    readFileSync(markerPath(stateDir));
    return true;
  } catch {
    return false;
  }
}

export function writeReplica(stateDir: string, rec: ReplicaRecord): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fsError('creating', stateDir, err, 'metadata.name');
  }
  writeAtomic(replicaPath(stateDir, rec.index), JSON.stringify(rec, null, 2) + '\n');
}

export function removeReplica(stateDir: string, index: number): void {
  try {
    unlinkSync(replicaPath(stateDir, index));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw fsError('removing', replicaPath(stateDir, index), err, 'metadata.name');
  }
}

/** Creates the folder and the marker when missing; an existing marker is left untouched. */
export function ensureMarker(stateDir: string, id: string): void {
  if (hasMarker(stateDir)) return;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fsError('creating', stateDir, err, 'metadata.name');
  }
  const marker: ResourceMarker = { id, createdAt: new Date().toISOString() };
  writeAtomic(markerPath(stateDir), JSON.stringify(marker) + '\n');
}

/** Removes the marker and every replica record; other files (default logs) stay. */
export function removeState(stateDir: string): void {
  for (const index of readReplicas(stateDir).keys()) removeReplica(stateDir, index);
  rmSync(markerPath(stateDir), { force: true });
  rmSync(join(stateDir, 'rollout.json'), { force: true });
  try {
    if (readdirSync(stateDir).length === 0) rmSync(stateDir, { recursive: true });
  } catch {
    // already gone
  }
}

/** Temp file in the same folder, fsync, rename over the target. */
function writeAtomic(path: string, text: string): void {
  atomicWriteFileSync(path, text, 0o600);
}

/**
 * The key of the keyed digests of secret env values, created once per
 * working folder (mode 0600), so a digest in a state file cannot be checked
 * against guessed values without it.
 */
export function digestKey(workDir: string): Buffer {
  const path = join(workDir, 'digest.key');
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError('reading', path, err, 'spec.env');
  }
  // Written whole under a temp name, then linked into place: link fails when another process won the race.
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const tmp = newTempPath(path);
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, randomBytes(32));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError('creating', path, err, 'spec.env');
  } finally {
    rmSync(tmp, { force: true });
    tempDone(tmp);
  }
  return readFileSync(path);
}
