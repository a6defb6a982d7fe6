/**
 * Approvals of actions serve proposed: list, approve (after checking it is
 * still the action it showed) and reject. Each decision is audited and
 * nudges a running serve.
 */
import { resourceFromRecord } from '../engine/engine.js';
import { buildPlan } from '../engine/planner.js';
import { approvalDigest } from '../engine/recorder.js';
import { SetpointError } from '../errors.js';
import type { ResourceId } from '../manifest/index.js';
import type { Action } from '../plan/index.js';
import type { ApprovalRecord, ApprovalState, Store } from '../store/index.js';
import type { ApiContext } from './context.js';
import { decideFleetApproval } from './fleet-gates.js';
import type { ActorOption } from './types.js';

/** Approvals in `state`; every approval when no state is given. */
export async function approvals(ctx: ApiContext, state?: ApprovalState): Promise<ApprovalRecord[]> {
  return (await ctx.store()).listApprovals(state ? { state } : {});
}

/** One approval by id or unique prefix, whatever its state. */
export async function approval(ctx: ApiContext, idOrPrefix: string): Promise<ApprovalRecord | undefined> {
  return (await ctx.store()).getApproval(idOrPrefix);
}

/**
 * Approves a pending action, after checking it is still the plan it
 * showed: the resource is observed now and the action recomputed; if the
 * desired or actual state changed, the approval is stale and refused.
 */
export async function approve(
  ctx: ApiContext,
  idOrPrefix: string,
  options: { paths?: readonly string[]; note?: string; nodes?: readonly string[] } & ActorOption = {},
): Promise<ApprovalRecord> {
  const store = await ctx.store();
  const actor = options.actor ?? ctx.actor;
  const pending = await pendingApproval(ctx, idOrPrefix);
  // Proposed by enrolled nodes: each node's agent checks its own plan is still the one it proposed.
  if (pending.fleet)
    return decideFleetApproval(ctx, pending.id, 'approved', {
      actor,
      note: options.note,
      nodes: options.nodes,
    });
  if (options.nodes?.length) throw notFleet(pending);
  // A rollout's manual gate approves a step, not an action on a resource: nothing to observe again.
  const gate = pending.op === 'promote' && pending.resourceId.startsWith('Rollout/');
  const current = gate ? undefined : await currentAction(ctx, pending.resourceId, options.paths);
  const now = new Date().toISOString();
  const bound = {
    time: now,
    actor,
    resourceId: pending.resourceId,
    revisionId: pending.revisionId,
    diffDigest: pending.changeDigest,
  };
  if (
    !gate &&
    (!current ||
      current.desiredDigest !== pending.desiredDigest ||
      approvalDigest(current.action) !== pending.changeDigest)
  ) {
    await settle(store, pending, {
      state: 'stale',
      note: 'desired or actual state changed since it was proposed',
    });
    await ctx.audit('approval.stale', { ...bound, result: 'refused', detail: { approval: pending.id } });
    await store.appendNudge({ resourceId: pending.resourceId, reason: 'approval-stale', actor, at: now });
    throw new SetpointError(
      `approval ${pending.id} is stale: the desired or actual state of ${pending.resourceId} changed since it was proposed`,
      'SETPOINT_APPROVAL_STALE',
      'serve proposes a fresh action; review it with `setpoint approvals` and approve that one',
    );
  }
  const approved = await settle(store, pending, {
    state: 'approved',
    decidedBy: actor,
    decidedAt: now,
    note: options.note,
  });
  await ctx.audit('approval.approve', {
    ...bound,
    result: 'approved',
    detail: { approval: pending.id, op: pending.op, note: options.note },
  });
  await store.appendNudge({ resourceId: pending.resourceId, reason: 'approved', actor, at: now });
  return approved;
}

export async function reject(
  ctx: ApiContext,
  idOrPrefix: string,
  note?: string,
  options: ActorOption & { nodes?: readonly string[] } = {},
): Promise<ApprovalRecord> {
  const store = await ctx.store();
  const actor = options.actor ?? ctx.actor;
  const pending = await pendingApproval(ctx, idOrPrefix);
  if (pending.fleet)
    return decideFleetApproval(ctx, pending.id, 'rejected', { actor, note, nodes: options.nodes });
  if (options.nodes?.length) throw notFleet(pending);
  const now = new Date().toISOString();
  const rejected = await settle(store, pending, {
    state: 'rejected',
    decidedBy: actor,
    decidedAt: now,
    note,
  });
  await ctx.audit('approval.reject', {
    time: now,
    actor,
    resourceId: pending.resourceId,
    revisionId: pending.revisionId,
    diffDigest: pending.changeDigest,
    result: 'rejected',
    detail: { approval: pending.id, note },
  });
  await store.appendNudge({ resourceId: pending.resourceId, reason: 'rejected', actor, at: now });
  return rejected;
}

function notFleet(a: ApprovalRecord): SetpointError {
  return new SetpointError(
    `approval ${a.id} is the server host's own, not a fleet approval: --node does not apply`,
    'SETPOINT_INVALID_ARGUMENT',
    'leave out --node',
  );
}

async function pendingApproval(ctx: ApiContext, idOrPrefix: string): Promise<ApprovalRecord> {
  return mustBePending(await approval(ctx, idOrPrefix), idOrPrefix);
}

function mustBePending(found: ApprovalRecord | undefined, idOrPrefix: string): ApprovalRecord {
  if (!found)
    throw new SetpointError(
      `no approval ${idOrPrefix}`,
      'SETPOINT_NOT_FOUND',
      '`setpoint approvals` lists the pending ones',
    );
  if (found.state !== 'pending')
    throw new SetpointError(
      `approval ${found.id} is ${found.state}, not pending`,
      'SETPOINT_APPROVAL_NOT_PENDING',
      '`setpoint approvals` lists the pending ones',
    );
  return found;
}

/**
 * Decides a pending approval in one atomic step: refused when someone else
 * (another person, serve marking it stale, another replica) settled it since
 * it was read, so two decisions never overwrite each other.
 */
async function settle(
  store: Store,
  pending: ApprovalRecord,
  decision: Pick<ApprovalRecord, 'state'> & Partial<ApprovalRecord>,
): Promise<ApprovalRecord> {
  const written = await store.updateApproval(pending.id, (cur) => ({
    ...mustBePending(cur, pending.id),
    ...decision,
  }));
  return written!;
}

/** The action the resource needs now (observed live), with its desired digest. */
async function currentAction(
  ctx: ApiContext,
  id: ResourceId,
  paths?: readonly string[],
): Promise<{ action: Action; desiredDigest: string } | undefined> {
  const engine = await ctx.engine();
  const desired = await engine.loadDesired(ctx.manifestPaths(paths));
  if (desired.diagnostics.hasErrors) return undefined;
  let resource = desired.resources.find((r) => r.id === id);
  const record = await (await ctx.store()).getResource(id);
  const orphan = !resource;
  if (!resource && record) resource = resourceFromRecord(record);
  if (!resource) return undefined;
  const obs = await engine.inspect(resource, desired, orphan);
  if (obs.error || obs.unknown) return undefined;
  const action = buildPlan([obs], '', { prune: orphan }).actions[0];
  return action && action.op !== 'noop' ? { action, desiredDigest: obs.desiredDigest } : undefined;
}
