/**
 * Restart policy and crash-loop backoff, as pure functions of a replica's
 * record. The first restart after an exit is immediate; each further exit
 * in a row doubles the wait from `backoff.initial` up to `backoff.max`. A
 * replica that ran at least twice `backoff.max` before exiting starts a new
 * count (client-go's flowcontrol.Backoff forgets an entry after 2 x max too).
 */
import type { RestartPolicy } from './spec.js';
import type { ExitRecord, ReplicaRecord } from './state.js';

/** Whether a replica that exited this way is started again. An unknown exit code counts as a failure. */
export function shouldRestart(policy: RestartPolicy, exit: Pick<ExitRecord, 'code'> | undefined): boolean {
  if (policy === 'Always') return true;
  if (policy === 'Never') return false;
  return exit?.code !== 0;
}

/** The wait before the next start after `failures` exits in a row. */
export function restartDelay(failures: number, initialMs: number, maxMs: number): number {
  if (failures <= 1) return 0;
  return Math.min(maxMs, initialMs * 2 ** (failures - 2));
}

/** The record after its exit is handled: the process is gone, the count and the earliest restart are set. */
export function afterExit(
  rec: ReplicaRecord,
  exit: ExitRecord,
  initialMs: number,
  maxMs: number,
): ReplicaRecord {
  const ranFor = exit.at - rec.startedAt;
  const failures = ranFor >= 2 * maxMs ? 1 : rec.failures + 1;
  const { process: _gone, ...rest } = rec;
  return {
    ...rest,
    lastExit: exit,
    failures,
    nextStartAt: exit.at + restartDelay(failures, initialMs, maxMs),
  };
}

/** A sentence for an exit: "exit code 1", "killed by SIGKILL", "exit status unknown". */
export function describeExit(exit: Pick<ExitRecord, 'code' | 'signal'> | undefined): string {
  if (!exit) return 'exit status unknown';
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return 'exit status unknown';
}
