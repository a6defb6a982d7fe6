/**
 * Process: the kubelet of one machine. Supervised commands with replicas, a
 * restart policy with crash-loop backoff, readiness probes, a graceful stop
 * and rotating log files. Replicas outlive setpoint; a later setpoint
 * process adopts them from the records under `ctx.workDir` (identity = pid +
 * start time + boot id) and never starts duplicates: a start is recorded
 * before its spawn and every replica carries a mark that /proc shows (see
 * census.ts). See README.md.
 */
import { ProviderError } from '../../provider/errors.js';
import type { Ctx, Provider } from '../../provider/types.js';
import type { ResourceId } from '../../manifest/index.js';
import { afterExit, describeExit, shouldRestart } from './backoff.js';
import { logPath, resolveDesired, type ProcessDesired } from './desired.js';
import { Supervisor } from './launch.js';
import { exitOf, observeReplicas, type ProcessActual } from './observe.js';
import { isAlive, stopProcess } from './proc.js';
import { failpoint } from '../failpoint.js';
import { sweepOnce } from '../fs/index.js';
import { takeCensus } from './census.js';
import { newToken } from './marks.js';
import { ProcessSpecSchema, type ProcessSpec } from './spec.js';
import {
  ensureMarker,
  readReplica,
  removeReplica,
  removeState,
  replicaPath,
  writeReplica,
  type ReplicaRecord,
} from './state.js';
import { diffProcess, formatWait, healthOf } from './status.js';
import { watchReplicas } from './watch.js';
import { NewReplicaNotReady, rollReplicas, type ReplicaOps } from './rolling.js';
import { readHistory, writeHistory, type StartFields } from './history.js';

export { ProcessSpecSchema, type ProcessSpec } from './spec.js';
export type { ProcessDesired } from './desired.js';
export type { ProcessActual, ReplicaActual } from './observe.js';

export interface ProcessProviderOptions {
  /** Milliseconds between the liveness polls of adopted replicas (and log-size checks) in `watch`. Defaults to 500. */
  pollMs?: number;
}

function withDefaults(options: ProcessProviderOptions): Required<ProcessProviderOptions> {
  return { pollMs: options.pollMs ?? 500 };
}

/**
 * A provider with its own Supervisor (the children it started) and its own
 * memory of each resource's resolved state (for `watch`, which gets specs
 * only). The registry's `processProvider` is one; a second instance behaves
 * like a later setpoint process: the first one's replicas are adopted, not
 * its children.
 */
export function createProcessProvider(
  options: ProcessProviderOptions = {},
): Provider<ProcessSpec, ProcessActual, ProcessDesired> {
  const opts = withDefaults(options);
  const supervisor = new Supervisor();
  const known = new Map<ResourceId, ProcessDesired>();
  return {
    kind: 'Process',
    // A replica dying is the process failing, handled by the restart backoff: a restart, not drift or thrash.
    failureFields: ['spec.replicas'],
    description:
      'A supervised process: replicas, restart policy with backoff, readiness probes, graceful stop, rotating logs.',
    schema: ProcessSpecSchema,

    async resolve(spec, ctx) {
      const desired = await resolveDesired(spec, ctx);
      known.set(desired.id, desired);
      return desired;
    },

    sweep: (desired) => sweepOnce(desired.stateDir),

    observe: (desired) => observeReplicas(desired, supervisor),
    diff: diffProcess,

    async apply(desired, _actual, ctx) {
      return applyGuarded(supervisor, desired, ctx);
    },

    subscribesTo: (spec) => spec.restartOn ?? [],

    /** A rolling restart (same limits and readiness waits as an update) when a `restartOn` resource changed. */
    async notify(desired, _actual, _changed, ctx) {
      const { records } = takeCensus(desired.stateDir);
      const running = [...records.values()]
        .filter((r) => r.index < desired.spec.replicas && r.process && isAlive(r.process))
        .sort((a, b) => a.index - b.index);
      if (running.length === 0) return 'no replica runs: nothing to restart';
      try {
        await rollReplicas(desired, records, running, opsFor(supervisor, desired, ctx), ctx, 'Restarted');
      } catch (err) {
        if (err instanceof NewReplicaNotReady)
          throw new ProviderError(`rolling restart stopped: ${err.message}`, {
            code: 'SETPOINT_ROLLOUT_STALLED',
            field: 'spec.restartOn',
            hint: `see the log ${logPath(desired, err.index)}`,
          });
        throw err;
      }
      return `restarted ${running.length} ${running.length === 1 ? 'replica' : 'replicas'} one batch at a time`;
    },

    async destroy(desired) {
      await stopEverything(desired);
      removeState(desired.stateDir);
    },

    // Stopping processes loses no data; their logs are kept.
    isDestructive: () => false,

    health: (desired, actual) => healthOf(desired, actual),

    display: (_desired, actual) => ({
      ...(actual.strays.length > 0 ? { strays: actual.strays } : {}),
      replicas: actual.replicas.map(({ index, running, ready, pid, restarts, lastExit, log }) => ({
        index,
        running,
        ready,
        pid,
        restarts,
        lastExit,
        log,
      })),
    }),

    watch: (targets, onChange, onError) =>
      watchReplicas(supervisor, targets, (id) => known.get(id), onChange, onError, opts),

    /**
     * With `stopWithServe: true`, stops the replicas and forgets their records
     * (the next serve starts them afresh); otherwise they keep running and are
     * adopted next time.
     */
    async onServeStop(desired) {
      if (!desired.spec.stopWithServe) return;
      const records = await stopEverything(desired);
      for (const index of records.keys()) removeReplica(desired.stateDir, index);
    },
  };
}

/** The built-in Process provider. */
export const processProvider = createProcessProvider();

/**
 * Converges the replicas: stops extras, starts missing and exited ones (per
 * restart policy and backoff), then restarts replicas on an older spec one at
 * a time, each after the others are ready. Throws a ProviderError with
 * `retryAfterMs` when a replica must wait out its crash-loop backoff (after
 * doing everything else); the records always say what runs.
 */
async function applyReplicas(
  supervisor: Supervisor,
  desired: ProcessDesired,
  ctx: Ctx,
  reason: 'Updated' | 'RolledBack' = 'Updated',
): Promise<ProcessActual> {
  const { stateDir, spec } = desired;
  const n = spec.replicas;
  const { records, adopted, strays } = takeCensus(stateDir);
  // A start that a killed setpoint left unrecorded: its process is adopted, never started twice.
  for (const index of adopted) {
    const rec = records.get(index)!;
    writeReplica(stateDir, rec);
    ctx.event(
      'Normal',
      'ReplicaAdopted',
      `replica ${index} adopted as pid ${rec.process!.pid}: setpoint stopped before recording its start`,
    );
  }
  // Marked as this resource's, known to no record: it would run unmanaged.
  if (strays.length > 0) {
    await Promise.all(strays.map((s) => stopProcess(s.identity, spec.stopSignal, desired.graceMs)));
    ctx.event(
      'Warning',
      'StrayStopped',
      `stopped ${strays.length} unrecorded ${strays.length === 1 ? 'process' : 'processes'} of this resource (pid ${strays.map((s) => s.identity.pid).join(', ')})`,
    );
  }
  const extras = [...records.values()].filter((r) => r.index >= n);
  await stopAll(desired, extras);
  for (const r of extras) removeReplica(stateDir, r.index);

  const waiting: Array<{ rec: ReplicaRecord; ms: number }> = [];
  const outdated: ReplicaRecord[] = [];
  for (let i = 0; i < n; i++) {
    let rec = records.get(i);
    if (rec?.process && isAlive(rec.process)) {
      if (rec.digest !== desired.digest) outdated.push(rec);
      continue;
    }
    if (!rec || rec.digest !== desired.digest) {
      records.set(
        i,
        await startReplica(supervisor, desired, i, { restarts: 0, failures: 0 }, ctx, 'Started'),
      );
      continue;
    }
    if (rec.intent) {
      // Interrupted before its spawn (nothing carries its token): start it as it was meant to.
      const again = rec.restarts > 0 ? 'Restarted' : 'Started';
      records.set(i, await startReplica(supervisor, desired, i, rec, ctx, again, rec));
      continue;
    }
    if (rec.process) {
      // Its exit is seen for the first time: count it and set the earliest restart.
      await supervisor.exitRecorded(rec.process.pid);
      rec = readReplica(replicaPath(stateDir, i)) ?? rec;
      const exit = exitOf(rec);
      rec = afterExit(
        rec,
        { ...exit, at: exit.at ?? Date.now() },
        desired.backoffInitialMs,
        desired.backoffMaxMs,
      );
      writeReplica(stateDir, rec);
      records.set(i, rec);
    }
    if (!shouldRestart(spec.restartPolicy, rec.lastExit)) continue;
    const wait = (rec.nextStartAt ?? 0) - Date.now();
    if (wait > 0) waiting.push({ rec, ms: wait });
    else
      records.set(
        i,
        await startReplica(
          supervisor,
          desired,
          i,
          { restarts: rec.restarts + 1, failures: rec.failures },
          ctx,
          'Restarted',
          rec,
        ),
      );
  }

  outdated.sort((a, b) => a.index - b.index);
  await rollReplicas(desired, records, outdated, opsFor(supervisor, desired, ctx), ctx, reason);
  ensureMarker(stateDir, desired.id);

  if (waiting.length > 0) {
    const { rec, ms } = waiting.reduce((a, b) => (b.ms < a.ms ? b : a));
    const who = n > 1 ? `replica ${rec.index}` : 'the process';
    const message = `${who} is in a crash loop (restarted ${rec.restarts} time${rec.restarts === 1 ? '' : 's'}, last ${describeExit(rec.lastExit)}); next start in ${formatWait(ms)}`;
    ctx.event('Warning', 'BackOff', message);
    throw new ProviderError(message, {
      code: 'SETPOINT_CRASH_LOOP',
      field: 'spec.command',
      hint: `see its log, ${logPath(desired, rec.index)}`,
      retryAfterMs: Math.ceil(ms),
    });
  }
  return (await observeReplicas(desired, supervisor))!;
}

/**
 * Records the intent (a fresh token, no pid) before the spawn, then the
 * process: a setpoint killed in between leaves a record whose token finds
 * the process, so a restart adopts it instead of starting a duplicate.
 */
async function startReplica(
  supervisor: Supervisor,
  desired: ProcessDesired,
  index: number,
  counts: Pick<ReplicaRecord, 'restarts' | 'failures'>,
  ctx: Ctx,
  reason: 'Started' | 'Restarted' | 'Updated' | 'Surged' | 'RolledBack',
  previous?: ReplicaRecord,
): Promise<ReplicaRecord> {
  const token = newToken();
  const now = Date.now();
  const intent: ReplicaRecord = {
    version: 1,
    index,
    digest: desired.digest,
    started: desired.started,
    restarts: counts.restarts,
    failures: counts.failures,
    startedAt: now,
    intent: { token, at: now },
  };
  if (previous?.lastExit) intent.lastExit = previous.lastExit;
  writeReplica(desired.stateDir, intent);
  failpoint('process.before-spawn');
  const rec = await supervisor.start(desired, index, counts, token);
  failpoint('process.after-spawn');
  if (previous?.lastExit) rec.lastExit = previous.lastExit;
  writeReplica(desired.stateDir, rec);
  const after = previous?.lastExit ? ` (the previous run ended: ${describeExit(previous.lastExit)})` : '';
  ctx.event(
    'Normal',
    `Replica${reason}`,
    `replica ${index} ${STARTED_AS[reason]} as pid ${rec.process!.pid}${after}`,
  );
  return rec;
}

/** Stops every process of the resource: recorded, from an interrupted start, or stray. Returns the records. */
async function stopEverything(desired: ProcessDesired): Promise<Map<number, ReplicaRecord>> {
  const { records, strays } = takeCensus(desired.stateDir);
  await Promise.all([
    stopAll(desired, records.values()),
    ...strays.map((s) => stopProcess(s.identity, desired.spec.stopSignal, desired.graceMs)),
  ]);
  return records;
}

/** Stops the live processes of these records in parallel (stop signal, grace period, SIGKILL). */
async function stopAll(desired: ProcessDesired, records: Iterable<ReplicaRecord>): Promise<void> {
  const live = [...records].filter((r) => r.process && isAlive(r.process));
  await Promise.all(live.map((r) => stopProcess(r.process!, desired.spec.stopSignal, desired.graceMs)));
}

const STARTED_AS = {
  Started: 'started',
  Restarted: 'restarted',
  Updated: 'updated',
  Surged: 'started as a surge replica',
  RolledBack: 'rolled back',
} as const;

function opsFor(supervisor: Supervisor, desired: ProcessDesired, ctx: Ctx): ReplicaOps {
  return {
    start: (index, reason) =>
      startReplica(supervisor, desired, index, { restarts: 0, failures: 0 }, ctx, reason),
    stop: (records) => stopAll(desired, records),
    exitRecorded: (pid) => supervisor.exitRecorded(pid),
  };
}

/**
 * Apply with health gates: a spec change rolls through the replicas
 * (rolling.ts); when a new replica is not ready by the progress deadline the
 * resource goes back to the last spec whose replicas were all ready, the
 * failed spec is remembered (not rolled out again until it changes) and the
 * apply fails saying why. After a failure the replicas run the previous
 * spec, or, when there is none to go back to, what the update left.
 */
async function applyGuarded(
  supervisor: Supervisor,
  desired: ProcessDesired,
  ctx: Ctx,
): Promise<ProcessActual> {
  const history = readHistory(desired.stateDir);
  if (history.failed?.digest === desired.digest && history.lastGood) {
    // Keep (or bring back) the previous spec: retrying the same failed spec would break a replica again.
    await rollBack(supervisor, await previousDesired(desired, history.lastGood.spec, ctx), ctx);
    throw rolledBack(desired, history.failed.reason, history.failed.at);
  }
  const lastGood = history.lastGood ?? guessLastGood(desired);
  let actual: ProcessActual;
  try {
    actual = await applyReplicas(supervisor, desired, ctx);
  } catch (err) {
    if (!(err instanceof NewReplicaNotReady)) throw err;
    const at = new Date().toISOString();
    ctx.event('Warning', 'RolloutStalled', `update stopped: ${err.message}`);
    if (!lastGood)
      throw new ProviderError(
        `update stopped: ${err.message}; there is no earlier working spec to roll back to`,
        {
          code: 'SETPOINT_ROLLOUT_FAILED',
          field: 'spec.rollingUpdate.progressDeadline',
          hint: `see the log ${logPath(desired, err.index)}`,
        },
      );
    writeHistory(desired.stateDir, {
      ...history,
      lastGood,
      failed: { digest: desired.digest, reason: err.message, at },
    });
    const previous = await previousDesired(desired, lastGood.spec, ctx);
    await rollBack(supervisor, previous, ctx);
    ctx.event(
      'Warning',
      'RolledBack',
      `rolled back to the previous spec (${previous.spec.command} ${previous.spec.args.join(' ')}): ${err.message}`.replace(
        / +:/,
        ':',
      ),
    );
    throw rolledBack(desired, err.message, at, err.index);
  }
  const allReady =
    actual.replicas.length === desired.spec.replicas &&
    actual.replicas.every((r) => r.ready && r.digest === desired.digest);
  if (allReady && (history.lastGood?.digest !== desired.digest || history.failed)) {
    writeHistory(desired.stateDir, {
      version: 1,
      lastGood: { digest: desired.digest, spec: startFields(desired), at: new Date().toISOString() },
    });
    if (history.lastGood && history.lastGood.digest !== desired.digest)
      ctx.event(
        'Normal',
        'RolloutComplete',
        `all ${desired.spec.replicas} replicas run the new spec and are ready`,
      );
  }
  return actual;
}

/** Converges to the previous spec; when that fails too, says so (the replicas are left as they are). */
async function rollBack(supervisor: Supervisor, previous: ProcessDesired, ctx: Ctx): Promise<void> {
  try {
    await applyReplicas(supervisor, previous, ctx, 'RolledBack');
  } catch (err) {
    if (!(err instanceof NewReplicaNotReady)) throw err;
    throw new ProviderError(`the rollback to the previous spec failed too: ${err.message}`, {
      code: 'SETPOINT_ROLLBACK_FAILED',
      field: 'spec.command',
      hint: `see the log ${logPath(previous, err.index)}`,
    });
  }
}

function rolledBack(desired: ProcessDesired, reason: string, at: string, index = 0): ProviderError {
  return new ProviderError(`update rolled back at ${at}: ${reason}; the replicas run the previous spec`, {
    code: 'SETPOINT_ROLLED_BACK',
    field: 'spec.command',
    hint: `see the log ${logPath(desired, index)}; fix the spec (a changed spec is rolled out again)`,
  });
}

function startFields(desired: ProcessDesired): StartFields {
  const { command, args, env } = desired.spec;
  return { command, args, env, cwd: desired.cwd };
}

/** The desired state of the previous spec: the current one with the start fields it had. */
function previousDesired(desired: ProcessDesired, fields: StartFields, ctx: Ctx): Promise<ProcessDesired> {
  return resolveDesired({ ...desired.spec, ...fields }, ctx);
}

/**
 * Without a recorded last good spec (replicas started by an older setpoint),
 * the spec the running replicas were started with, when it holds no secret
 * (a secret is recorded as a digest and cannot be started again).
 */
function guessLastGood(
  desired: ProcessDesired,
): { digest: string; spec: StartFields; at: string } | undefined {
  const { records } = takeCensus(desired.stateDir);
  const old = [...records.values()].find(
    (r) => r.digest !== desired.digest && r.process && isAlive(r.process),
  );
  if (!old) return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(old.started.env)) {
    if (!('value' in v)) return undefined;
    env[k] = v.value;
  }
  return {
    digest: old.digest,
    spec: { command: old.started.command, args: old.started.args, cwd: old.started.cwd, env },
    at: new Date(old.startedAt).toISOString(),
  };
}
