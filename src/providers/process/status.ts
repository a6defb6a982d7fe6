/**
 * Diff and health of a Process: pure functions of (desired, actual).
 *
 * A replica "counts" when it runs, or when it exited and its restart policy
 * says it stays down (a completed OnFailure replica, any Never replica) on
 * the current spec. Fewer or more counting replicas than declared is a
 * change of `spec.replicas` (processes of the resource that no record knows
 * count as more); replicas started with an older spec are
 * changes of the spec fields that differ (an update restarts them).
 */
import type { Change } from '../../diff/index.js';
import type { Health } from '../../provider/types.js';
import { describeExit, shouldRestart } from './backoff.js';
import type { ProcessDesired } from './desired.js';
import type { ProcessActual, ReplicaActual } from './observe.js';
import type { RecordedEnvValue, StartedSpec } from './state.js';

/** Exited on the current spec and not to be restarted. */
export function isSettled(desired: ProcessDesired, r: ReplicaActual): boolean {
  return (
    !r.running &&
    !r.interrupted &&
    r.digest === desired.digest &&
    !shouldRestart(desired.spec.restartPolicy, r.lastExit)
  );
}

export function diffProcess(desired: ProcessDesired, actual: ProcessActual | undefined): Change[] {
  const n = desired.spec.replicas;
  if (!actual) {
    const changes: Change[] = [{ path: 'spec.command', new: desired.spec.command }];
    if (desired.spec.args.length > 0) changes.push({ path: 'spec.args', new: desired.spec.args });
    changes.push({ path: 'spec.replicas', new: n });
    return changes;
  }
  const byIndex = new Map(actual.replicas.map((r) => [r.index, r]));
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const r = byIndex.get(i);
    if (!r || !(r.running || isSettled(desired, r))) missing++;
  }
  const extras = extrasOf(actual, n);
  const changes: Change[] = [];
  if (missing > 0 || extras > 0)
    changes.push({
      path: 'spec.replicas',
      old: actual.replicas.filter((r) => r.running).length + actual.strays.length,
      new: n,
    });
  const seen = new Set<string>();
  for (const r of actual.replicas) {
    if (r.index >= n || r.digest === desired.digest) continue;
    for (const c of specChanges(r.started, desired)) {
      if (seen.has(c.path)) continue;
      seen.add(c.path);
      changes.push(c);
    }
  }
  return changes;
}

/** The fields a replica's recorded spec differs in from the desired one. */
function specChanges(old: StartedSpec, desired: ProcessDesired): Change[] {
  const now = desired.started;
  const out: Change[] = [];
  if (old.command !== now.command) out.push({ path: 'spec.command', old: old.command, new: now.command });
  if (JSON.stringify(old.args) !== JSON.stringify(now.args))
    out.push({ path: 'spec.args', old: old.args, new: now.args });
  if (old.cwd !== now.cwd) out.push({ path: 'spec.cwd', old: old.cwd, new: now.cwd });
  const keys = [...new Set([...Object.keys(old.env), ...Object.keys(now.env)])].sort();
  for (const k of keys) {
    const [a, b] = [old.env[k], now.env[k]];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (isSecret(a) || isSecret(b)) out.push({ path: `spec.env.${k}`, sensitive: true });
    else out.push({ path: `spec.env.${k}`, old: a?.value, new: b?.value });
  }
  return out;
}

function isSecret(v: RecordedEnvValue | undefined): v is { digest: string } {
  return v !== undefined && 'digest' in v;
}

export function healthOf(
  desired: ProcessDesired,
  actual: ProcessActual | undefined,
  now = Date.now(),
): Health {
  if (!actual) return { status: 'Missing', message: 'not started' };
  const n = desired.spec.replicas;
  const current = actual.replicas.filter((r) => r.index < n);
  const extras = extrasOf(actual, n);
  if (n === 0)
    return extras > 0
      ? { status: 'Progressing', message: `${extras} ${replicas(extras)} to stop` }
      : { status: 'Healthy', message: 'stopped (0 replicas declared)' };
  const label = (r: ReplicaActual) => (n > 1 ? `replica ${r.index} ` : '');

  const looping = current.filter(
    (r) => !r.ready && r.failures >= 2 && shouldRestart(desired.spec.restartPolicy, r.lastExit),
  );
  if (looping.length > 0) {
    const worst = looping.reduce((a, b) => (b.restarts > a.restarts ? b : a));
    const wait =
      worst.nextStartAt !== undefined && worst.nextStartAt > now
        ? `next start in ${formatWait(worst.nextStartAt - now)}`
        : describeExit(worst.lastExit);
    return {
      status: 'Degraded',
      message: `crash loop: ${label(worst)}restarted ${worst.restarts} ${times(worst.restarts)}, ${wait}`,
    };
  }
  const settled = current.filter((r) => isSettled(desired, r));
  const failed = settled.find((r) => r.lastExit?.code !== 0);
  if (failed)
    return {
      status: 'Degraded',
      message: `${label(failed) || 'the process '}exited (${describeExit(failed.lastExit)}) and restartPolicy is ${desired.spec.restartPolicy}`,
    };

  const running = current.filter((r) => r.running).length;
  const completed = settled.length;
  if (running === 0 && completed === 0)
    return { status: 'Missing', message: `0 of ${n} ${replicas(n)} running` };
  const ready = current.filter((r) => r.ready && r.digest === desired.digest).length;
  const message = `${ready} of ${n} ${replicas(n)} ready${completed > 0 ? `, ${completed} completed` : ''}${extras > 0 ? `, ${extras} more ${extras === 1 ? 'process' : 'processes'} to stop` : ''}`;
  return { status: ready + completed === n && extras === 0 ? 'Healthy' : 'Progressing', message };
}

/** Processes that run beyond the declared replicas: recorded extras and strays no record knows. */
function extrasOf(actual: ProcessActual, n: number): number {
  return actual.replicas.filter((r) => r.index >= n && r.running).length + actual.strays.length;
}

const replicas = (k: number) => (k === 1 ? 'replica' : 'replicas');
const times = (k: number) => (k === 1 ? 'time' : 'times');

/** "800ms", "20s", "4m30s". */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
}
