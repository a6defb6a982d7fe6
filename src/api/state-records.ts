/**
 * Editing the state's resource records without touching any target, as
 * `terraform state rm|mv|import` do: forget a resource (setpoint stops
 * managing it, the target stays), move a record to a new id (a rename in
 * the manifests without destroy + create), and import an existing target
 * (observed, then recorded as managed). Each writes its record change, an
 * event and an audit entry in one transaction.
 */
import { declaredRecord } from '../engine/records.js';
import { SetpointError } from '../errors.js';
import { parseKey } from '../manifest/index.js';
import type { ResourceRecord } from '../store/index.js';
import type { ApiContext } from './context.js';
import type { ActorOption } from './types.js';

const notInState = (id: string) =>
  new SetpointError(
    `no resource ${id} in the state`,
    'SETPOINT_NOT_FOUND',
    '`setpoint state list` lists them',
  );

/** Removes the record of `id`; the target is left as it is and no longer managed. */
export async function forget(
  ctx: ApiContext,
  rawId: string,
  options: ActorOption = {},
): Promise<ResourceRecord> {
  const store = await ctx.store();
  const id = ctx.normalizeId(rawId);
  const record = await store.getResource(id);
  if (!record) throw notInState(id);
  const time = new Date().toISOString();
  const actor = options.actor ?? ctx.actor;
  await store.commit({
    deletes: [id],
    events: [
      {
        time,
        type: 'Normal',
        reason: 'Forgotten',
        message: `${id} removed from the state; the target was left as it is`,
        resourceId: id,
      },
    ],
    audits: [
      {
        time,
        actor,
        action: 'state.rm',
        resourceId: id,
        result: 'forgotten',
        detail: { sync: record.sync, managed: record.managed },
      },
    ],
  });
  ctx.logger.info(
    { resource: id, revision: record.lastAppliedRevision, actor },
    'resource forgotten (state rm)',
  );
  return record;
}

/** Moves the record of `from` to `to` (same kind): the target is kept, not destroyed and created again. */
export async function moveRecord(
  ctx: ApiContext,
  rawFrom: string,
  rawTo: string,
  options: ActorOption = {},
): Promise<ResourceRecord> {
  const store = await ctx.store();
  const from = ctx.normalizeId(rawFrom);
  const to = ctx.normalizeId(rawTo);
  const record = await store.getResource(from);
  if (!record) throw notInState(from);
  if (await store.getResource(to))
    throw new SetpointError(
      `${to} is already in the state`,
      'SETPOINT_CONFLICT',
      `forget it first: setpoint state rm ${to}`,
    );
  const key = parseKey(to);
  if (!key)
    throw new SetpointError(
      `not a resource id: ${rawTo}`,
      'SETPOINT_BAD_REQUEST',
      'ids read Kind/name or Kind/namespace/name',
    );
  if (key.kind !== record.kind)
    throw new SetpointError(
      `cannot move ${from} to ${to}: the kind differs (${record.kind} -> ${key.kind})`,
      'SETPOINT_BAD_REQUEST',
      'a record moves within its kind; another kind is another resource',
    );
  const time = new Date().toISOString();
  const actor = options.actor ?? ctx.actor;
  const moved: ResourceRecord = {
    ...record,
    id: to,
    namespace: key.namespace,
    name: key.name,
    updatedAt: time,
  };
  await store.commit({
    records: [moved],
    deletes: [from],
    events: [
      {
        time,
        type: 'Normal',
        reason: 'Moved',
        message: `record moved from ${from} to ${to}`,
        resourceId: to,
      },
    ],
    audits: [{ time, actor, action: 'state.mv', resourceId: to, result: 'moved', detail: { from } }],
  });
  ctx.logger.info(
    { resource: to, from, revision: record.lastAppliedRevision, actor },
    'record moved (state mv)',
  );
  return moved;
}

/**
 * Adopts a target that exists: the resource must be declared in the
 * manifests; it is observed, and recorded as managed (so `prune` may delete
 * it later) with its differences as drift.
 */
export async function importResource(
  ctx: ApiContext,
  rawId: string,
  paths?: readonly string[],
  options: ActorOption = {},
): Promise<ResourceRecord> {
  const store = await ctx.store();
  const engine = await ctx.engine();
  const id = ctx.normalizeId(rawId);
  if (await store.getResource(id))
    throw new SetpointError(
      `${id} is already in the state`,
      'SETPOINT_CONFLICT',
      '`setpoint state show` shows it',
    );
  const desired = await engine.loadDesired(ctx.manifestPaths(paths));
  const resource = desired.resources.find((r) => r.id === id);
  if (!resource)
    throw new SetpointError(
      `${id} is not declared in the manifests`,
      'SETPOINT_NOT_FOUND',
      'declare it first: import records a declared resource as managed',
    );
  const obs = await engine.inspect(resource, desired);
  if (obs.error)
    throw new SetpointError(
      `cannot observe ${id}: ${obs.error.summary}`,
      'SETPOINT_PROVIDER_FAILED',
      obs.error.hint,
    );
  if (!obs.exists)
    throw new SetpointError(
      `nothing to import: ${id} does not exist`,
      'SETPOINT_NOT_FOUND',
      '`setpoint apply` creates it',
    );
  const time = new Date().toISOString();
  const actor = options.actor ?? ctx.actor;
  const drifted = obs.changes.length > 0;
  const record: ResourceRecord = {
    ...declaredRecord(resource, obs.desiredDigest, desired.source, undefined, time),
    managed: true,
    lastAppliedDigest: obs.desiredDigest,
    sync: drifted ? 'Drifted' : 'InSync',
    health: 'Unknown',
    lastObservedAt: time,
    ...(drifted
      ? { driftedSince: time, drift: obs.changes.map(({ path, sensitive }) => ({ path, sensitive })) }
      : {}),
  };
  await store.commit({
    records: [record],
    events: [
      {
        time,
        type: 'Normal',
        reason: 'Imported',
        message: `${id} adopted: recorded as managed${drifted ? `, ${obs.changes.length} field(s) differ` : ''}`,
        resourceId: id,
      },
    ],
    audits: [
      {
        time,
        actor,
        action: 'state.import',
        resourceId: id,
        result: drifted ? 'imported-drifted' : 'imported',
      },
    ],
  });
  ctx.logger.info({ resource: id, actor, drifted }, 'resource imported (state import)');
  return record;
}
