/**
 * Observe: what runs, read from the replica records and /proc. A replica is
 * running only when its recorded pid is alive, not a zombie, and has the
 * recorded start time (a recycled pid is never taken for it). Running
 * replicas are probed for readiness. Nothing is started or stopped here; the
 * only write is log rotation, which the brief puts on observe's tick.
 */
import { logPath, type ProcessDesired } from './desired.js';
import { rotateIfNeeded } from './logs.js';
import { isAlive } from './proc.js';
import { probeReady } from './probe.js';
import { takeCensus } from './census.js';
import { hasMarker, readReplica, replicaPath, type ReplicaRecord, type StartedSpec } from './state.js';

/** Lets observe wait for the exit of a child this process started to be recorded (it dies a moment before Node reaps it). */
export interface ExitSource {
  exitRecorded(pid: number): Promise<void>;
}

export interface ReplicaActual {
  index: number;
  running: boolean;
  /** Running and passing its readiness probe (running alone when there is none). */
  ready: boolean;
  /** Present while running. */
  pid?: number;
  /** Restarts after an exit since this spec was started. */
  restarts: number;
  /** Exits in a row that came soon after a start (the crash-loop count). */
  failures: number;
  /** Digest of the spec it was started with. */
  digest: string;
  /** What it was started with; secret env values appear as keyed digests only. */
  started: StartedSpec;
  /**
   * The latest exit. For a replica that is not running, the exit that
   * stopped it (code and signal null when not known: it was not our child).
   */
  lastExit?: { code: number | null; signal: string | null };
  /** Epoch ms before which the crash-loop backoff holds the restart. */
  nextStartAt?: number;
  /** A start that never happened: setpoint stopped after recording the intent, before the spawn. */
  interrupted?: true;
  log: string;
}

/** A process marked as one of this resource's replicas that no record knows (apply stops it). */
export interface StrayActual {
  index: number;
  pid: number;
}

export interface ProcessActual {
  /** Every recorded replica, by index; indexes at or past `spec.replicas` are extras. */
  replicas: ReplicaActual[];
  /** Running processes of this resource that no record knows; counted, never adopted. */
  strays: StrayActual[];
}

/** Undefined when nothing was ever applied (no marker, no replica records). */
export async function observeReplicas(
  desired: ProcessDesired,
  exits?: ExitSource,
): Promise<ProcessActual | undefined> {
  const { records, strays } = takeCensus(desired.stateDir);
  if (records.size === 0 && strays.length === 0 && !hasMarker(desired.stateDir)) return undefined;
  const sorted = [...records.values()].sort((a, b) => a.index - b.index);
  const replicas = await Promise.all(sorted.map((rec) => observeReplica(desired, rec, exits)));
  return {
    replicas,
    strays: strays.map((s) => ({ index: s.index, pid: s.identity.pid })).sort((a, b) => a.pid - b.pid),
  };
}

async function observeReplica(
  desired: ProcessDesired,
  rec: ReplicaRecord,
  exits?: ExitSource,
): Promise<ReplicaActual> {
  const running = rec.process !== undefined && isAlive(rec.process);
  if (!running && rec.process && exits) {
    await exits.exitRecorded(rec.process.pid);
    rec = readReplica(replicaPath(desired.stateDir, rec.index)) ?? rec;
  }
  const log = logPath(desired, rec.index);
  rotateIfNeeded(log, desired.spec.logs.maxBytes, desired.spec.logs.keep);
  const out: ReplicaActual = {
    index: rec.index,
    running,
    ready: running && (await probeReady(desired, rec.index, rec.startedAt)),
    restarts: rec.restarts,
    failures: rec.failures,
    digest: rec.digest,
    started: rec.started,
    log,
  };
  if (running) out.pid = rec.process!.pid;
  const exit = running ? rec.lastExit : exitOf(rec);
  if (exit) out.lastExit = { code: exit.code, signal: exit.signal };
  if (!running && rec.nextStartAt !== undefined) out.nextStartAt = rec.nextStartAt;
  if (!running && rec.intent) out.interrupted = true;
  return out;
}

/** The exit that ended a replica that is not running; code and signal null when it was not seen. */
export function exitOf(rec: ReplicaRecord): {
  pid: number;
  code: number | null;
  signal: string | null;
  at?: number;
} {
  if (rec.process === undefined) return rec.lastExit ?? { pid: 0, code: null, signal: null };
  if (rec.lastExit?.pid === rec.process.pid) return rec.lastExit;
  return { pid: rec.process.pid, code: null, signal: null };
}
