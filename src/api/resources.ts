/** What the state says about resources: status, get, describe, history, events, and resume. */
import type { DesiredState } from '../desired/desired.js';
import { resourceFromRecord } from '../engine/engine.js';
import { declaredRecord } from '../engine/records.js';
import { SetpointError } from '../errors.js';
import { Diagnostics } from '../manifest/index.js';
import type {
  EventRecord,
  ResourceFilter,
  ResourceRecord,
  RevisionRecord,
  RunRecord,
} from '../store/index.js';
import type { ApiContext } from './context.js';
import type { ActorOption, Description, LeaderInfo, StatusSummary } from './types.js';
import { parseHolder, STATE_LOCK } from '../store/lock.js';

export async function status(ctx: ApiContext, filter: ResourceFilter = {}): Promise<StatusSummary> {
  const resources = await (await ctx.store()).listResources(filter);
  const bySync: Record<string, number> = {};
  const byHealth: Record<string, number> = {};
  for (const r of resources) {
    bySync[r.sync] = (bySync[r.sync] ?? 0) + 1;
    byHealth[r.health] = (byHealth[r.health] ?? 0) + 1;
  }
  return { resources, counts: { total: resources.length, bySync, byHealth }, leader: await leaderOf(ctx) };
}

/** The serve replica holding the state lease now, if any (a one-shot run's lock is not a leader). */
async function leaderOf(ctx: ApiContext): Promise<LeaderInfo | undefined> {
  const lease = await (await ctx.store()).getLease(STATE_LOCK);
  if (!lease || lease.expiresAt <= Date.now() || parseHolder(lease.holder).what !== 'serve') return undefined;
  return { holder: lease.holder, term: lease.term, expiresAt: new Date(lease.expiresAt).toISOString() };
}

export async function get(ctx: ApiContext, id: string): Promise<ResourceRecord | undefined> {
  return (await ctx.store()).getResource(ctx.normalizeId(id));
}

/** Desired (from the manifests, else the store), live actual state, the diff and recent events. */
export async function describe(
  ctx: ApiContext,
  rawId: string,
  paths?: readonly string[],
  options: {
    /** An already loaded desired state (a running serve's), instead of reading the manifests. */ desired?: DesiredState;
  } = {},
): Promise<Description> {
  const id = ctx.normalizeId(rawId);
  const store = await ctx.store();
  const engine = await ctx.engine();
  const record = await store.getResource(id);
  const desired = options.desired ?? (await engine.loadDesired(ctx.manifestPaths(paths)));
  const diagnostics = new Diagnostics();
  let resource = desired.resources.find((r) => r.id === id);
  if (!resource && record) resource = resourceFromRecord(record);
  const events = await store.listEvents({ resourceId: id, limit: 20 });
  if (!resource)
    return { id, record, exists: false, changes: [], events, diagnostics: desired.diagnostics.items };
  const obs = await engine.inspect(resource, desired);
  const problem = obs.error ?? obs.unknown;
  if (problem) diagnostics.add(problem);
  const changes = obs.error || obs.absent ? [] : obs.changes;
  const actual = obs.exists ? (obs.provider.display?.(obs.desired, obs.actual) ?? obs.actual) : undefined;
  return {
    id,
    record:
      record ??
      declaredRecord(resource, obs.desiredDigest, desired.source, undefined, new Date().toISOString()),
    desired: resource.spec,
    actual,
    exists: obs.exists,
    ...(obs.unknown ? { unknown: true } : {}),
    changes,
    events,
    diagnostics: diagnostics.items,
  };
}

export async function history(
  ctx: ApiContext,
  limit = 20,
): Promise<{ runs: RunRecord[]; revisions: RevisionRecord[] }> {
  const store = await ctx.store();
  return { runs: await store.listRuns({ limit }), revisions: await store.listRevisions({ limit }) };
}

/** One revision by id or unique prefix. */
export async function revision(ctx: ApiContext, idOrPrefix: string): Promise<RevisionRecord | undefined> {
  return (await ctx.store()).getRevision(idOrPrefix);
}

/** The newest `limit` events (of one resource), oldest first; with `afterSeq`, the next `limit` after it. */
export async function events(
  ctx: ApiContext,
  id?: string,
  limit = 50,
  afterSeq?: number,
): Promise<EventRecord[]> {
  const resourceId = id ? ctx.normalizeId(id) : undefined;
  return (await ctx.store()).listEvents({
    resourceId,
    limit,
    ...(afterSeq !== undefined ? { afterSeq } : {}),
  });
}

/** Lifts Conflict: clears the repair history, so serve remediates again. */
export async function resume(
  ctx: ApiContext,
  rawId: string,
  options: ActorOption = {},
): Promise<ResourceRecord> {
  const store = await ctx.store();
  const actor = options.actor ?? ctx.actor;
  const id = ctx.normalizeId(rawId);
  const record = await store.getResource(id);
  if (!record)
    throw new SetpointError(
      `no resource ${id} in the state`,
      'SETPOINT_NOT_FOUND',
      '`setpoint status` lists them',
    );
  const now = new Date().toISOString();
  const next: ResourceRecord = {
    ...record,
    sync: record.sync === 'Conflict' ? 'Pending' : record.sync,
    remediations: [],
    updatedAt: now,
  };
  await store.putResources([next]);
  await ctx.audit('resource.resume', {
    time: now,
    actor,
    resourceId: id,
    result: 'resumed',
    detail: { was: record.sync },
  });
  await store.appendNudge({ resourceId: id, reason: 'resume', actor, at: now });
  return next;
}
