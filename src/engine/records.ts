/**
 * Status records: what the store keeps per resource, derived from an
 * observation and what happened to it. Values shown to users are truncated
 * and never include secrets (sensitive changes carry no values).
 */
import type { Change } from '../diff/index.js';
import { setCondition, type SyncStatus } from '../health/index.js';
import type { Resource } from '../manifest/index.js';
import type { Health } from '../provider/types.js';
import { redactor } from '../secrets/index.js';
import type { ResourceRecord, StoredChange } from '../store/index.js';
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

/** Differs from the desired state. Managed resources are Drifted; never-applied ones are Pending. */
export function markOutOfSync(
  r: ResourceRecord,
  changes: readonly Change[],
  health: Health,
  now: string,
): ResourceRecord {
  const sync: SyncStatus = r.managed ? 'Drifted' : 'Pending';
  return {
    ...r,
    sync,
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
