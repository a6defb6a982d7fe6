/**
 * Fleet approvals: the agents of many nodes propose the same action (same
 * resource, revision and change digest) and a person approves it once. The
 * server keeps ONE approval per (resource, revision, change digest) with a
 * target per node; each target points at the approval the node's agent made
 * in its local state, so the decision goes back to exactly that one. Pure:
 * the caller reads and writes the store.
 */
import { createHash } from 'node:crypto';
import type { ApprovalRecord, ApprovalState, FleetApprovalTarget, StoredChange } from '../store/index.js';

/** What an agent tells the server about one of its local approvals. */
export interface NodeApprovalReport {
  /** The approval's id in the node's local state. */
  localId: string;
  resourceId: string;
  /** The server revision of the set the node enforces. */
  revision?: string;
  op: string;
  reason: string;
  destructive: boolean;
  changes: StoredChange[];
  desiredDigest: string;
  changeDigest: string;
  state: ApprovalState;
  createdAt: string;
}

/** A decision for one of the node's local approvals, as the agent gets it. */
export interface NodeDecision {
  localId: string;
  /** The fleet approval's id on the server. */
  approval: string;
  state: 'approved' | 'rejected';
  by: string;
  at: string;
  note?: string;
}

/** The fleet approval's id: the same for every node proposing the same change of the same revision. */
export function fleetApprovalId(resourceId: string, revision: string, changeDigest: string): string {
  return createHash('sha256').update(`${resourceId}\0${revision}\0${changeDigest}`).digest('hex').slice(0, 8);
}

/** The approval's state from its targets': pending while any node waits for a decision. */
export function fleetState(targets: readonly FleetApprovalTarget[]): ApprovalState {
  const has = (s: ApprovalState) => targets.some((t) => t.state === s);
  if (has('pending')) return 'pending';
  if (has('approved')) return 'approved';
  if (has('applied')) return 'applied';
  if (has('rejected')) return 'rejected';
  return 'stale';
}

const OPEN: ReadonlySet<ApprovalState> = new Set(['pending', 'approved']);

/**
 * Merges a node's report (its local approvals now) into the fleet approvals
 * `known` (by id). Returns the records that changed or were made, and the ids
 * made. A target of this node that the node no longer reports is stale: the
 * node's plan moved on.
 */
export function mergeNodeReport(
  known: ReadonlyMap<string, ApprovalRecord>,
  node: string,
  reports: readonly NodeApprovalReport[],
  now: string,
): { changed: ApprovalRecord[]; created: string[] } {
  const out = new Map<string, ApprovalRecord>();
  const created: string[] = [];
  const mentioned = new Set<string>();
  const get = (id: string) => out.get(id) ?? known.get(id);
  for (const r of reports) {
    const id = fleetApprovalId(r.resourceId, r.revision ?? '', r.changeDigest);
    mentioned.add(id);
    const before = get(id);
    const prev = before?.fleet?.targets.find((t) => t.node === node);
    // A settled local approval the server never knew about needs no fleet approval.
    if (!before && !OPEN.has(r.state)) continue;
    const target = nextTarget(prev, r, node, now);
    if (prev && sameTarget(prev, target)) continue;
    const base: ApprovalRecord = before ?? {
      id,
      resourceId: r.resourceId,
      ...(r.revision ? { revisionId: r.revision } : {}),
      op: r.op,
      reason: r.reason,
      destructive: r.destructive,
      changes: r.changes,
      desiredDigest: r.desiredDigest,
      changeDigest: r.changeDigest,
      state: 'pending',
      createdAt: now,
      fleet: { targets: [] },
    };
    if (!before) created.push(id);
    out.set(id, withTargets(base, [...(base.fleet?.targets ?? []).filter((t) => t.node !== node), target]));
  }
  for (const rec of known.values()) {
    if (mentioned.has(rec.id)) continue;
    const mine = rec.fleet?.targets.find((t) => t.node === node);
    if (!mine || !OPEN.has(mine.state)) continue;
    const stale = { ...mine, state: 'stale' as const, note: 'the node no longer proposes it' };
    out.set(
      rec.id,
      withTargets(
        rec,
        rec.fleet!.targets.map((t) => (t === mine ? stale : t)),
      ),
    );
  }
  return { changed: [...out.values()], created };
}

/** Where the node's target stands after a report: the node's settled states win; the server's decision stays. */
function nextTarget(
  prev: FleetApprovalTarget | undefined,
  r: NodeApprovalReport,
  node: string,
  now: string,
): FleetApprovalTarget {
  // The node made a new local approval (it restarted, its state was reset): a fresh target.
  if (!prev || prev.localId !== r.localId)
    return {
      node,
      localId: r.localId,
      desiredDigest: r.desiredDigest,
      state: r.state,
      reportedAt: now,
    };
  const state =
    r.state === 'pending'
      ? prev.state === 'stale'
        ? 'pending' // proposed again after the server thought it gone
        : prev.state // the decision (if any) has not reached the node yet
      : r.state === 'approved' && prev.state !== 'pending'
        ? prev.state
        : r.state;
  return { ...prev, state, reportedAt: state === prev.state ? prev.reportedAt : now };
}

function sameTarget(a: FleetApprovalTarget, b: FleetApprovalTarget): boolean {
  return a.localId === b.localId && a.state === b.state;
}

function withTargets(rec: ApprovalRecord, targets: FleetApprovalTarget[]): ApprovalRecord {
  targets.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { ...rec, state: fleetState(targets), fleet: { targets } };
}

/**
 * Approves or rejects the pending targets of a fleet approval (all, or those
 * of `nodes`). Throws when `nodes` names no pending target.
 */
export function decideFleet(
  rec: ApprovalRecord,
  decision: 'approved' | 'rejected',
  options: { actor: string; now: string; note?: string; nodes?: readonly string[] },
): { record: ApprovalRecord; nodes: string[] } {
  const targets = rec.fleet?.targets ?? [];
  const wanted = options.nodes?.length ? new Set(options.nodes) : undefined;
  const nodes: string[] = [];
  const next = targets.map((t) => {
    if (t.state !== 'pending' || (wanted && !wanted.has(t.node))) return t;
    nodes.push(t.node);
    return {
      ...t,
      state: decision,
      decidedBy: options.actor,
      decidedAt: options.now,
      ...(options.note ? { note: options.note } : {}),
    };
  });
  if (nodes.length === 0) {
    const pending = targets.filter((t) => t.state === 'pending').map((t) => t.node);
    throw new Error(
      `approval ${rec.id} has no pending target on ${[...(wanted ?? [])].join(', ') || 'any node'}; pending: ${pending.join(', ') || 'none'}`,
    );
  }
  const record = withTargets(rec, next);
  return {
    record: {
      ...record,
      decidedBy: options.actor,
      decidedAt: options.now,
      ...(options.note ? { note: options.note } : {}),
    },
    nodes,
  };
}

/** The decisions waiting for the node: its approved or rejected targets whose local approval is still pending. */
export function decisionsFor(
  records: Iterable<ApprovalRecord>,
  node: string,
  localPending: ReadonlySet<string>,
): NodeDecision[] {
  const out: NodeDecision[] = [];
  for (const rec of records)
    for (const t of rec.fleet?.targets ?? [])
      if (
        t.node === node &&
        localPending.has(t.localId) &&
        (t.state === 'approved' || t.state === 'rejected')
      )
        out.push({
          localId: t.localId,
          approval: rec.id,
          state: t.state,
          by: t.decidedBy ?? 'unknown',
          at: t.decidedAt ?? rec.createdAt,
          ...(t.note ? { note: t.note } : {}),
        });
  return out;
}

/** "3 nodes: a, b, c" (the first few names). */
export function targetSummary(targets: readonly FleetApprovalTarget[], max = 5): string {
  const names = targets.map((t) => (t.state === 'pending' ? t.node : `${t.node} (${t.state})`));
  const shown = names.slice(0, max).join(', ') + (names.length > max ? `, +${names.length - max}` : '');
  return `${targets.length} node${targets.length === 1 ? '' : 's'}: ${shown}`;
}
