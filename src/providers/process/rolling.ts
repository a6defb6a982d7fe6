/**
 * A rolling update of a Process: replicas on an older spec are replaced in
 * batches of at most `maxUnavailable` (plus the surge replicas that are
 * ready), each batch waiting until its new replicas are ready and have stayed
 * ready for `minReady`. A replica that is down counts as unavailable. With
 * `maxSurge`, new replicas first start at the indexes past `replicas` and
 * must be ready before any old one stops; they are stopped at the end.
 *
 * A new replica that exits, or is not ready by `progressDeadline`, throws a
 * `NewReplicaNotReady`: the caller rolls the resource back. Waiting on an old
 * replica that is not ready is not the new spec's fault: that throws a
 * ProviderError (`SETPOINT_ROLLOUT_STALLED`) and the next apply continues.
 */
import type { Ctx } from '../../provider/types.js';
import { ProviderError } from '../../provider/errors.js';
import { describeExit } from './backoff.js';
import { logPath, type ProcessDesired } from './desired.js';
import { preflight } from './launch.js';
import { isAlive } from './proc.js';
import { probeReady } from './probe.js';
import { formatWait } from './status.js';
import { readReplica, removeReplica, replicaPath, type ReplicaRecord } from './state.js';

/** How the rolling update starts and stops replicas (index.ts owns the records and events). */
export interface ReplicaOps {
  start(index: number, reason: 'Updated' | 'Surged' | 'Restarted' | 'RolledBack'): Promise<ReplicaRecord>;
  stop(records: ReplicaRecord[]): Promise<void>;
  /**
   * Resolves once the exit of `pid` is written to its replica record (the
   * Supervisor's `exitRecorded`). /proc shows a child dead (a zombie) a
   * moment before Node reaps it and the exit code is recorded.
   */
  exitRecorded(pid: number): Promise<void>;
}

/** A new replica failed: exited, or not ready by the progress deadline. */
export class NewReplicaNotReady extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

/** maxUnavailable and maxSurge as counts: percentages of replicas, unavailable rounded down, surge up (as Kubernetes does). */
export function updateLimits(desired: ProcessDesired): { maxUnavailable: number; maxSurge: number } {
  const n = desired.spec.replicas;
  const count = (v: number | string, round: (x: number) => number) =>
    typeof v === 'number' ? v : round((n * Number(v.slice(0, -1))) / 100);
  const maxSurge = count(desired.spec.rollingUpdate.maxSurge, Math.ceil);
  let maxUnavailable = Math.min(n, count(desired.spec.rollingUpdate.maxUnavailable, Math.floor));
  // Both 0 after rounding would replace nothing: one at a time then.
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxUnavailable, maxSurge };
}

/**
 * Replaces the `outdated` replicas (running, on another spec) by replicas of
 * `desired`. `records` is updated as replicas start. Throws
 * NewReplicaNotReady when a new replica fails, a ProviderError when an old
 * one keeps the update from going on.
 */
export async function rollReplicas(
  desired: ProcessDesired,
  records: Map<number, ReplicaRecord>,
  outdated: readonly ReplicaRecord[],
  ops: ReplicaOps,
  ctx: Ctx,
  reason: 'Updated' | 'Restarted' | 'RolledBack' = 'Updated',
): Promise<void> {
  if (outdated.length === 0) return;
  const n = desired.spec.replicas;
  const { maxUnavailable, maxSurge } = updateLimits(desired);
  // A spec that cannot start never takes a running replica down.
  preflight(desired);
  const surged: ReplicaRecord[] = [];
  try {
    for (let k = 0; k < Math.min(maxSurge, outdated.length); k++)
      surged.push(await ops.start(n + k, 'Surged'));
    await waitNewReady(desired, surged, ops, ctx);
    const queue = [...outdated];
    while (queue.length > 0) {
      const batch = await nextBatch(desired, records, queue, maxUnavailable + surged.length, ctx);
      await ops.stop(batch);
      // The old replica's exit lands in its record before a new replica takes its index.
      for (const old of batch) if (old.process) await ops.exitRecorded(old.process.pid);
      const started: ReplicaRecord[] = [];
      for (const old of batch) {
        const rec = await ops.start(old.index, reason);
        records.set(old.index, rec);
        started.push(rec);
      }
      await waitNewReady(desired, started, ops, ctx);
    }
  } finally {
    await ops.stop(surged);
    for (const s of surged) removeReplica(desired.stateDir, s.index);
  }
}

/** Current indexes whose replica is unavailable: down, or running and not ready. */
async function unavailable(desired: ProcessDesired, records: Map<number, ReplicaRecord>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < desired.spec.replicas; i++) {
    const rec = records.get(i);
    const up = rec?.process !== undefined && isAlive(rec.process);
    if (!up || !(await probeReady(desired, i, rec.startedAt))) out.push(i);
  }
  return out;
}

/**
 * Takes from `queue` the replicas that may be taken down now: `allowed`
 * minus the replicas already unavailable (a down one counts). A queued
 * replica that is itself unavailable costs nothing and goes first. Waits (up
 * to the progress deadline) while none may.
 */
async function nextBatch(
  desired: ProcessDesired,
  records: Map<number, ReplicaRecord>,
  queue: ReplicaRecord[],
  allowed: number,
  ctx: Ctx,
): Promise<ReplicaRecord[]> {
  const deadline = Date.now() + desired.update.progressDeadlineMs;
  for (;;) {
    const down = await unavailable(desired, records);
    queue.sort((a, b) => Number(down.includes(b.index)) - Number(down.includes(a.index)));
    const free = queue.filter((r) => down.includes(r.index)).length;
    const take = Math.max(free, allowed - down.length + free);
    if (take > 0) return queue.splice(0, Math.min(take, queue.length));
    if (Date.now() >= deadline)
      throw new ProviderError(
        `rolling update paused: replica ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not ready, so replica ${queue[0].index} keeps its old spec (maxUnavailable allows ${allowed})`,
        {
          code: 'SETPOINT_ROLLOUT_STALLED',
          field: 'spec.rollingUpdate.maxUnavailable',
          hint: `see the log ${logPath(desired, down[0])}; the next apply continues the update`,
        },
      );
    interrupted(ctx, queue[0].index);
    await sleep(pollMs(desired));
  }
}

/**
 * Waits until every new replica is ready and has stayed so for minReady.
 * Throws NewReplicaNotReady at the first exit or at the progress deadline.
 */
async function waitNewReady(
  desired: ProcessDesired,
  fresh: ReplicaRecord[],
  ops: Pick<ReplicaOps, 'exitRecorded'>,
  ctx: Ctx,
): Promise<void> {
  const { progressDeadlineMs, minReadyMs } = desired.update;
  const deadline = Date.now() + progressDeadlineMs;
  const readySince = new Map<number, number>();
  while (fresh.length > 0) {
    let done = true;
    for (const rec of fresh) {
      if (!isAlive(rec.process!)) {
        // Dead in /proc is not yet reaped: wait for its exit code before saying how it ended.
        await ops.exitRecorded(rec.process!.pid);
        const exit = readReplica(replicaPath(desired.stateDir, rec.index))?.lastExit;
        throw new NewReplicaNotReady(
          rec.index,
          `replica ${rec.index} exited (${describeExit(exit?.pid === rec.process!.pid ? exit : undefined)}) before it was ready`,
        );
      }
      if (await probeReady(desired, rec.index, rec.startedAt)) {
        if (!readySince.has(rec.index)) readySince.set(rec.index, Date.now());
        if (Date.now() - readySince.get(rec.index)! < minReadyMs) done = false;
      } else {
        readySince.delete(rec.index);
        done = false;
      }
    }
    if (done) return;
    if (Date.now() >= deadline) {
      const late = fresh.find((r) => !readySince.has(r.index)) ?? fresh[0];
      throw new NewReplicaNotReady(
        late.index,
        `replica ${late.index} was not ready within ${formatWait(progressDeadlineMs)} (progressDeadline)`,
      );
    }
    interrupted(ctx, fresh[0].index);
    await sleep(pollMs(desired));
  }
}

function interrupted(ctx: Ctx, index: number): void {
  if (ctx.signal?.aborted)
    throw new ProviderError(`rolling update interrupted at replica ${index}`, {
      code: 'SETPOINT_APPLY_INTERRUPTED',
      field: 'spec.rollingUpdate',
      hint: 'the next apply continues the update',
    });
}

function pollMs(desired: ProcessDesired): number {
  return Math.min(desired.readiness?.periodMs ?? 100, 250);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
