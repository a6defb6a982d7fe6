/**
 * The rows of the state's tables, written once for both stores: the column
 * values a record is written as (in the tables' column order, as the SQLite
 * and PostgreSQL statements list them), and the record a row read back maps
 * to. The two stores differ only in their SQL and how they send it.
 */
import type { AlertAck, AlertRecord } from './alerts.js';
import {
  statusSignature,
  type AuditEntry,
  type DriftEpisode,
  type EventRecord,
  type Nudge,
  type ResourceRecord,
  type RunRecord,
} from './types.js';
import type { ViolationRecord } from './violations.js';

/** The meta table's key for a caller's value (Store.putMeta): never one of the store's own (salt, audit_head). */
export function callerMetaKey(key: string): string {
  return `caller:${key}`;
}

/** resources: id, kind, namespace, name, source, sync, health, managed, declared, signature, data, held. */
export function recordColumns(r: ResourceRecord): unknown[] {
  return [
    r.id,
    r.kind,
    r.namespace,
    r.name,
    r.source,
    r.sync,
    r.health,
    r.managed ? 1 : 0,
    r.declared ? 1 : 0,
    statusSignature(r),
    JSON.stringify(r),
    r.sync === 'Held' ? (r.held?.reason ?? null) : null,
  ];
}

/** events: time, type, reason, message, resource_id, revision_id, run_id. */
export function eventColumns(e: EventRecord): unknown[] {
  return [e.time, e.type, e.reason, e.message, e.resourceId ?? null, e.revisionId ?? null, e.runId ?? null];
}

/** audit: seq, time, actor, action, resource_id, revision_id, diff_digest, result, detail, prev_hash, hash. */
export function auditColumns(e: AuditEntry): unknown[] {
  return [
    e.seq,
    e.time,
    e.actor,
    e.action,
    e.resourceId ?? null,
    e.revisionId ?? null,
    e.diffDigest ?? null,
    e.result,
    e.detail ? JSON.stringify(e.detail) : null,
    e.prevHash,
    e.hash,
  ];
}

/** runs: id, command, revision_id, actor, started_at, finished_at, result, summary, holder. */
export function runColumns(run: RunRecord): unknown[] {
  return [
    run.id,
    run.command,
    run.revisionId ?? null,
    run.actor,
    run.startedAt,
    run.finishedAt ?? null,
    run.result,
    JSON.stringify(run.summary),
    run.holder ?? null,
  ];
}

/** policy_violations: time, policy, resource_id, revision_id, action, phase, blocked, message. */
export function violationColumns(v: ViolationRecord): unknown[] {
  return [
    v.time,
    v.policy,
    v.resourceId,
    v.revisionId ?? null,
    v.action,
    v.phase,
    v.blocked ? 1 : 0,
    v.message,
  ];
}

/** Rows turned into one array per column (PostgreSQL's unnest inserts a batch in one statement). */
export function byColumn(rows: readonly unknown[][], width: number): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i++) cols[i].push(row[i]);
  return cols;
}

/** The JSON `data` column of a row, as the record it holds. */
export function fromData<T>(row: { data: string }): T {
  return JSON.parse(row.data) as T;
}

/** A token as written: never with revocation fields (a new or re-created token is not revoked). */
export function tokenData<T extends { revokedAt?: string; revokedBy?: string }>(t: T): string {
  return JSON.stringify({ ...t, revokedAt: undefined, revokedBy: undefined });
}

export interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  resource_id: string | null;
  revision_id: string | null;
  diff_digest: string | null;
  result: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export function auditFromRow(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    time: r.time,
    actor: r.actor,
    action: r.action,
    resourceId: r.resource_id ?? undefined,
    revisionId: r.revision_id ?? undefined,
    diffDigest: r.diff_digest ?? undefined,
    result: r.result,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : undefined,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** A run as stored. */
export function runFromRow(r: Record<string, unknown>): RunRecord {
  const run: RunRecord = {
    id: r.id as string,
    command: r.command as string,
    revisionId: (r.revision_id as string | null) ?? undefined,
    actor: r.actor as string,
    startedAt: r.started_at as string,
    finishedAt: (r.finished_at as string | null) ?? undefined,
    result: r.result as RunRecord['result'],
    summary: JSON.parse(r.summary as string) as Record<string, number>,
  };
  if (typeof r.holder === 'string') run.holder = r.holder;
  return run;
}

export function eventFromRow(r: Record<string, unknown>): EventRecord {
  return {
    seq: r.seq as number,
    time: r.time as string,
    type: r.type as EventRecord['type'],
    reason: r.reason as string,
    message: r.message as string,
    resourceId: (r.resource_id as string | null) ?? undefined,
    revisionId: (r.revision_id as string | null) ?? undefined,
    runId: (r.run_id as string | null) ?? undefined,
  };
}

export function nudgeFromRow(r: Record<string, unknown>): Nudge {
  return {
    seq: r.seq as number,
    resourceId: (r.resource_id as string | null) ?? undefined,
    reason: r.reason as string,
    actor: r.actor as string,
    at: r.at as string,
  };
}

export function episodeFromRow(r: Record<string, unknown>): DriftEpisode {
  return {
    id: r.id as number,
    resourceId: r.resource_id as string,
    kind: r.kind as string,
    detectedAt: r.detected_at as string,
    recordedAt: r.recorded_at as string,
    remediatedAt: (r.remediated_at as string | null) ?? undefined,
    resolution: (r.resolution as string | null) ?? undefined,
  };
}

export interface ViolationRow {
  seq: number;
  time: string;
  policy: string;
  resource_id: string;
  revision_id: string | null;
  action: string;
  phase: string;
  blocked: number;
  message: string;
}

export function violationFromRow(r: ViolationRow): ViolationRecord {
  return {
    seq: r.seq,
    time: r.time,
    policy: r.policy,
    resourceId: r.resource_id,
    revisionId: r.revision_id ?? undefined,
    action: r.action,
    phase: r.phase,
    blocked: r.blocked === 1,
    message: r.message,
  };
}

/** An alert incident row: the incident, and its acknowledgement kept in its own column. */
export interface AlertRow {
  data: string;
  ack: string | null;
}

export function alertFromRow(r: AlertRow): AlertRecord {
  const a = JSON.parse(r.data) as AlertRecord;
  if (r.ack) a.ack = JSON.parse(r.ack) as AlertAck;
  else delete a.ack;
  return a;
}
