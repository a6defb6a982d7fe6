/**
 * Event-driven drift for Process. A replica this process started reports
 * its exit at once (the Supervisor's `exit` event). A replica adopted from
 * an earlier setpoint process is not our child, so its liveness is polled
 * cheaply: one /proc read per replica per tick, no spawn. The same tick
 * rotates log files, and every readiness `period` running replicas are
 * probed so a flip of readiness (and so of health) is reported too.
 *
 * The contract hands `watch` the validated spec only, but the records live
 * under `ctx.workDir`, which only a Ctx knows. So the provider remembers the
 * desired state of each resource from its latest `resolve` (the controller
 * resolves every resource at start-up and on each change) and the watch looks
 * it up on every tick; a resource not resolved yet is skipped until it is.
 */
import type { ResourceId } from '../../manifest/index.js';
import type { Disposable } from '../../provider/types.js';
import { logPath, type ProcessDesired } from './desired.js';
import type { Supervisor } from './launch.js';
import { rotateIfNeeded } from './logs.js';
import { isAlive } from './proc.js';
import { probeReady } from './probe.js';
import { readReplicas } from './state.js';

export interface WatchOptions {
  /** Milliseconds between liveness ticks. */
  pollMs: number;
}

interface TargetState {
  id: ResourceId;
  /** `pid:startTime` of each adopted replica seen alive at the last tick. */
  alive: Map<number, string>;
  /** Readiness per replica at the last probe round. */
  ready: Map<number, boolean>;
  lastProbe: number;
  probing: boolean;
  failed: boolean;
  /** Children whose exit the Supervisor reported already: the tick does not report them again. */
  reported: Set<number>;
}

export function watchReplicas(
  supervisor: Supervisor,
  targets: ReadonlyArray<{ id: ResourceId }>,
  lookup: (id: ResourceId) => ProcessDesired | undefined,
  onChange: (id: ResourceId) => void,
  onError: (err: Error) => void,
  options: WatchOptions,
): Disposable {
  const states = targets.map<TargetState>((t) => ({
    id: t.id,
    alive: new Map(),
    ready: new Map(),
    lastProbe: 0,
    probing: false,
    failed: false,
    reported: new Set(),
  }));
  const byId = new Map(states.map((s) => [s.id, s]));
  let disposed = false;
  const unsubscribe = supervisor.onExit((exit) => {
    const s = byId.get(exit.id);
    if (!s || disposed) return;
    s.reported.add(exit.pid);
    onChange(exit.id);
  });

  const tick = () => {
    const now = Date.now();
    for (const s of states) {
      if (disposed) return;
      const desired = lookup(s.id);
      if (!desired) continue;
      try {
        if (checkLiveness(supervisor, s, desired)) onChange(s.id);
        s.failed = false;
      } catch (err) {
        // Reported once per outage, not every tick.
        if (!s.failed) onError(err as Error);
        s.failed = true;
      }
      if (desired.readiness && !s.probing && now - s.lastProbe >= desired.readiness.periodMs) {
        s.lastProbe = now;
        s.probing = true;
        probeRound(s, desired).then(
          (flipped) => {
            s.probing = false;
            if (flipped && !disposed) onChange(s.id);
          },
          (err: unknown) => {
            s.probing = false;
            if (!disposed) onError(err as Error);
          },
        );
      }
    }
  };
  tick();
  const timer = setInterval(tick, options.pollMs);
  timer.unref();
  return {
    dispose() {
      disposed = true;
      clearInterval(timer);
      unsubscribe();
    },
  };
}

/** Reads the records, rotates logs, and returns whether an adopted replica died since the last tick. */
function checkLiveness(supervisor: Supervisor, s: TargetState, desired: ProcessDesired): boolean {
  let died = false;
  const records = readReplicas(desired.stateDir);
  for (const [index, rec] of records) {
    rotateIfNeeded(logPath(desired, index), desired.spec.logs.maxBytes, desired.spec.logs.keep);
    if (!rec.process || supervisor.isChild(rec.process.pid)) {
      s.alive.delete(index);
      continue;
    }
    const key = `${rec.process.pid}:${rec.process.startTime}`;
    if (isAlive(rec.process)) s.alive.set(index, key);
    else {
      // Dead and not yet handled: a change, whether it died since the last tick or before the watch began.
      const fresh = s.alive.get(index) === key || !s.alive.has(index);
      if (fresh && !s.reported.has(rec.process.pid)) died = true;
      s.alive.set(index, `dead:${key}`);
    }
  }
  for (const index of s.alive.keys()) if (!records.has(index)) s.alive.delete(index);
  const recorded = new Set([...records.values()].map((r) => r.process?.pid));
  for (const pid of s.reported) if (!recorded.has(pid)) s.reported.delete(pid);
  return died;
}

/** Probes every running replica; true when any readiness differs from the previous round. */
async function probeRound(s: TargetState, desired: ProcessDesired): Promise<boolean> {
  let flipped = false;
  for (const [index, rec] of readReplicas(desired.stateDir)) {
    const ready =
      rec.process !== undefined && isAlive(rec.process) && (await probeReady(desired, index, rec.startedAt));
    if (s.ready.has(index) && s.ready.get(index) !== ready) flipped = true;
    s.ready.set(index, ready);
  }
  return flipped;
}
