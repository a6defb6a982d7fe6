/**
 * Status records: what the store keeps per resource, derived from an
 * observation and what happened to it. Values shown to users are truncated
 * and never include secrets (sensitive changes carry no values).
 */
import type { Change } from '../diff/index.js';
import { setCondition, type HeldReason, type SyncStatus } from '../health/index.js';
import type { Resource } from '../manifest/index.js';
import type { Health } from '../provider/types.js';
import { redactor } from '../secrets/index.js';
import type { HoldState, ResourceRecord, StoredChange } from '../store/index.js';
import type { Observation } from './observe.js';

const MAX_STORED_VALUE = 512;

export function storedChanges(changes: readonly Change[]): StoredChange[] {
  return changes.map((c) =>
    c.sensitive
      ? { path: c.path, sensitive: true }
      : { path: c.path, old: truncate(c.old), new: truncate(c.new), format: c.format },
  );
}

function truncate(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const r = redactor.redact(v);
  return r.length > MAX_STORED_VALUE ? r.slice(0, MAX_STORED_VALUE) + `… (${r.length} characters)` : r;
}

/** The declared part of a record, carrying status fields over from the previous record. */
export function declaredRecord(
  resource: Resource,
  desiredDigest: string,
  source: string,
  prev: ResourceRecord | undefined,
  now: string,
  declared = true,
): ResourceRecord {
  return {
    id: resource.id,
    kind: resource.key.kind,
    namespace: resource.key.namespace,
    name: resource.key.name,
    source,
    labels: resource.metadata.labels,
    spec: resource.spec,
    lifecycle: resource.lifecycle,
    dependsOn: resource.dependsOn,
    origin: `${resource.origin.file}:${resource.origin.line}`,
    desiredDigest,
    managed: prev?.managed ?? false,
    declared,
    lastAppliedRevision: prev?.lastAppliedRevision,
    lastAppliedAt: prev?.lastAppliedAt,
    sync: prev?.sync ?? 'Pending',
    health: prev?.health ?? 'Unknown',
    healthMessage: prev?.healthMessage,
    lastObservedAt: prev?.lastObservedAt,
    driftedSince: prev?.driftedSince,
    drift: prev?.drift,
    conditions: prev?.conditions ?? [],
    attempts: prev?.attempts ?? 0,
    lastError: prev?.lastError,
    updatedAt: now,
    lastAppliedDigest: prev?.lastAppliedDigest,
    remediations: prev?.remediations,
    blockedUntil: prev?.blockedUntil,
    approvalId: prev?.approvalId,
    held: prev?.held,
  };
}

export function healthOf(obs: Observation, actual: unknown): Health {
  if (obs.absent)
    return actual === undefined
      ? { status: 'Healthy', message: 'absent, as declared' }
      : { status: 'Degraded', message: 'present, but declared absent' };
  return (
    obs.provider.health?.(obs.desired, actual) ??
    (actual === undefined ? { status: 'Missing' } : { status: 'Healthy' })
  );
}

/** In sync now (after a successful action, or observed so). */
export function markInSync(
  r: ResourceRecord,
  health: Health,
  now: string,
  applied?: { revision: string },
): ResourceRecord {
  return {
    ...r,
    sync: 'InSync',
    blockedUntil: undefined,
    held: undefined,
    lastAppliedDigest: applied ? r.desiredDigest : r.lastAppliedDigest,
    health: health.status,
    healthMessage: health.message,
    lastObservedAt: now,
    driftedSince: undefined,
    drift: undefined,
    attempts: 0,
    lastError: undefined,
    managed: r.managed || applied !== undefined,
    lastAppliedRevision: applied?.revision ?? r.lastAppliedRevision,
    lastAppliedAt: applied ? now : r.lastAppliedAt,
    conditions: setCondition(
      r.conditions,
      {
        type: 'Synced',
        status: 'True',
        reason: applied ? 'Applied' : 'Observed',
        message: 'actual state matches the desired state',
      },
      now,
    ),
  };
}

/**
 * Differs from the desired state. Managed resources are Drifted; never-applied
 * ones are Pending, unless `sync` says otherwise (an observe-only kind that
 * misses its target is Drifted: setpoint can only report it).
 */
export function markOutOfSync(
  r: ResourceRecord,
  changes: readonly Change[],
  health: Health,
  now: string,
  sync: SyncStatus = r.managed ? 'Drifted' : 'Pending',
): ResourceRecord {
  return {
    ...r,
    sync,
    held: undefined,
    blockedUntil: undefined,
    health: health.status,
    healthMessage: health.message,
    lastObservedAt: now,
    driftedSince: sync === 'Drifted' ? (r.driftedSince ?? now) : undefined,
    drift: storedChanges(changes),
    conditions: setCondition(
      r.conditions,
      {
        type: 'Synced',
        status: 'False',
        reason: sync,
        message: `${changes.length} field${changes.length === 1 ? '' : 's'} differ: ${changes.map((c) => c.path).join(', ')}`,
      },
      now,
    ),
  };
}

export function markFailed(
  r: ResourceRecord,
  error: string,
  now: string,
  sync: SyncStatus = 'Failed',
): ResourceRecord {
  return {
    ...r,
    sync,
    held: undefined,
    blockedUntil: undefined,
    lastError: redactor.redact(error),
    attempts: r.attempts + 1,
    lastObservedAt: now,
    conditions: setCondition(
      r.conditions,
      {
        type: 'Synced',
        status: 'False',
        reason: sync === 'Failed' ? 'ApplyFailed' : sync,
        message: redactor.redact(error),
      },
      now,
    ),
  };
}

/** Why an action is held back: the Hold a record shows. */
export interface Hold {
  reason: HeldReason;
  message: string;
  until?: string;
  window?: string;
  slo?: string;
}

/** A deny change window holds the action until it ends. */
export function windowHold(window: string, until: Date): Hold {
  const at = until.toISOString();
  return {
    reason: 'ChangeWindow',
    message: `blocked by change window ${window} until ${at}`,
    until: at,
    window,
  };
}

/**
 * Held on purpose (a change window, alert mode, a rejected approval): not
 * failing, and left out of convergence; `held.since` is kept while the
 * reason stays the same. The drift it is held with stays on the record.
 */
export function markHeld(r: ResourceRecord, hold: Hold, now: string): ResourceRecord {
  const held: HoldState = {
    reason: hold.reason,
    message: redactor.redact(hold.message),
    since: r.sync === 'Held' && r.held?.reason === hold.reason ? r.held.since : now,
    until: hold.until,
    window: hold.window,
    slo: hold.slo,
  };
  return {
    ...r,
    sync: 'Held',
    held,
    blockedUntil: hold.until,
    lastObservedAt: now,
    conditions: setCondition(
      r.conditions,
      { type: 'Synced', status: 'False', reason: hold.reason, message: held.message },
      now,
    ),
  };
}
