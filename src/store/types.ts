/**
 * The state store contract. Two implementations share one schema: SQLite
 * (embedded default) and PostgreSQL (several replicas). Methods are async so
 * both fit; SQLite answers synchronously underneath.
 */
import type { Condition, HealthStatus, HeldReason, SyncStatus } from '../health/index.js';
import type { Diagnostic, Lifecycle, ResourceId } from '../manifest/index.js';
import type { AlertStore } from './alerts.js';
import type { ViolationStore } from './violations.js';
import type { RolloutStore } from './rollouts.js';
import type { SpanStore } from './spans.js';

import type { FleetStore, NodeBatchResult, NodeRecord } from './nodes.js';
import type { Role } from '../auth/roles.js';

/** A change as stored: values truncated, secrets never present. */
export interface StoredChange {
  path: string;
  old?: unknown;
  new?: unknown;
  sensitive?: boolean;
  format?: string;
}

export interface ResourceRecord {
  id: ResourceId;
  kind: string;
  namespace: string;
  name: string;
  /** The source that owns it. */
  source: string;
  labels: Record<string, string>;
  /** The spec as declared: secret references, never secret values. */
  spec: unknown;
  lifecycle: Lifecycle;
  dependsOn: ResourceId[];
  /** `file:line` of the declaration. */
  origin?: string;
  /** Keyed digest of the resolved desired state. */
  desiredDigest: string;
  /** Applied by setpoint at least once: a prune candidate once it leaves the manifests. */
  managed: boolean;
  /** Still in the current desired state of its source. */
  declared: boolean;
  lastAppliedRevision?: string;
  lastAppliedAt?: string;
  sync: SyncStatus;
  health: HealthStatus;
  healthMessage?: string;
  lastObservedAt?: string;
  /** When drift was first seen; cleared when in sync again. */
  driftedSince?: string;
  drift?: StoredChange[];
  conditions: Condition[];
  /** Consecutive failed attempts. */
  attempts: number;
  lastError?: string;
  updatedAt: string;
  /** The desired digest of the last successful apply: equal digest + a difference = drift. */
  lastAppliedDigest?: string;
  /** Recent automatic repairs of drift (thrash guard), newest last. */
  remediations?: Array<{ at: string; fields: string[] }>;
  /** Held by a change window until then. */
  blockedUntil?: string;
  /** Why it is Held, and since when (set while sync is Held, cleared otherwise); SLOs leave held time out. */
  held?: HoldState;
  /** The pending approval this resource waits for. */
  approvalId?: string;
}

/** Why a resource is held back on purpose, and since when. */
export interface HoldState {
  reason: HeldReason;
  /** A sentence: the window and until when, the alert mode, who rejected it. */
  message: string;
  /** When it became held for this reason. */
  since: string;
  /** When the hold ends by itself (a change window's end). */
  until?: string;
  /** The change window's name. */
  window?: string;
  /** The SLO whose exhausted error budget holds it. */
  slo?: string;
}

/** What the store knows of one named source: its current and pinned revisions. */
export interface SourceState {
  name: string;
  /** The latest admitted revision. */
  current?: string;
  /** Rolled back: the desired state stays at this revision while new commits are only admitted. */
  pinned?: string;
  pinnedBy?: string;
  pinnedAt?: string;
  lastFetchAt?: string;
  /** The commit the ref pointed at, at the last fetch. */
  lastCommit?: string;
  lastError?: string;
}

/** An API bearer token as stored: a sha256 of the secret, never the secret. */
export interface TokenRecord {
  name: string;
  role: Role;
  /** Namespaces it may see and act on; empty: every namespace. */
  namespaces: string[];
  /** sha256 (hex) of the token. */
  hash: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
}

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'stale' | 'applied';

/** An action proposed by serve that waits for a person. Bound to the plan it showed. */
export interface ApprovalRecord {
  id: string;
  resourceId: ResourceId;
  revisionId?: string;
  op: string;
  reason: string;
  destructive: boolean;
  changes: StoredChange[];
  /** What the approver saw: the desired digest and a digest of the changes. */
  desiredDigest: string;
  changeDigest: string;
  state: ApprovalState;
  createdAt: string;
  decidedAt?: string;
  decidedBy?: string;
  note?: string;
  /** A fleet approval: one action proposed by the agents of several nodes, approved once. */
  fleet?: { targets: FleetApprovalTarget[] };
}

/** One node a fleet approval covers: the node's own approval and where it stands. */
export interface FleetApprovalTarget {
  node: string;
  /** The approval the node's agent made in its local state. */
  localId: string;
  /** The resource's desired digest on the node (facts may make it differ between nodes). */
  desiredDigest: string;
  state: ApprovalState;
  reportedAt: string;
  decidedAt?: string;
  decidedBy?: string;
  note?: string;
}

/** "Look at this again": written by the CLI (approve, resume, sync), read by serve. */
export interface Nudge {
  seq?: number;
  /** Undefined: everything (a full resync). */
  resourceId?: ResourceId;
  reason: string;
  actor: string;
  at: string;
}

/** One drift episode of a resource: seen, then fixed (or not). */
export interface DriftEpisode {
  id?: number;
  resourceId: ResourceId;
  kind: string;
  /** When the change was noticed (watch event or resync). */
  detectedAt: string;
  /** When the drift was recorded after observing. */
  recordedAt: string;
  remediatedAt?: string;
  /** auto | approved | manual | revision | resolved (went away by itself). */
  resolution?: string;
}

/** The columns of a record that plans need, without its JSON body. */
export interface ResourceSummary {
  id: ResourceId;
  sync: SyncStatus;
  managed: boolean;
  declared: boolean;
  /** statusSignature() of the stored record. */
  signature: string;
  /** Why it is Held, when it is. */
  held?: HeldReason;
}

/**
 * What a record shows that can change without an action: when a fresh
 * observation yields the same signature, the stored record is left as it is,
 * so a no-op run over 10,000 resources writes nothing.
 */
export function statusSignature(
  r: Pick<
    ResourceRecord,
    'desiredDigest' | 'sync' | 'health' | 'healthMessage' | 'origin' | 'declared' | 'source' | 'lastError'
  >,
): string {
  // A separator that never occurs in these fields; cheaper than JSON on 10,000 records.
  return `${r.desiredDigest}\x1f${r.sync}\x1f${r.health}\x1f${r.healthMessage ?? ''}\x1f${r.origin ?? ''}\x1f${r.declared ? 1 : 0}\x1f${r.source}\x1f${r.lastError ?? ''}`;
}

export interface ResourceFilter {
  kind?: string;
  namespace?: string;
  source?: string;
  sync?: SyncStatus;
  health?: HealthStatus;
  /** Label equality selectors. */
  labels?: Record<string, string>;
  ids?: ResourceId[];
  /** Any of these namespaces (e.g. an API token's scope). */
  namespaces?: string[];
  /** Only ids after this one (paging forward in id order). */
  after?: ResourceId;
  /** At most N records, in id order. Defaults to all. */
  limit?: number;
}

export interface RevisionRecord {
  id: string;
  digest: string;
  source: string;
  createdAt: string;
  resourceCount: number;
  /** Where it came from: paths, or a Git URL and ref. */
  origin: string;
  author?: string;
  message?: string;
  commit?: string;
  committedAt?: string;
  admitted: boolean;
  diagnostics?: Diagnostic[];
  /** First time every resource of the revision was in sync. */
  convergedAt?: string;
  /** Who signed it, when the source requires signatures. */
  signature?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecord {
  seq?: number;
  time: string;
  type: EventType;
  reason: string;
  message: string;
  resourceId?: ResourceId;
  revisionId?: string;
  runId?: string;
}

export interface EventQuery {
  resourceId?: ResourceId;
  /** Only events of this run (an enrolled node's events carry `node:NAME`). */
  runId?: string;
  /** Events after this sequence number, oldest first (paging forward). */
  afterSeq?: number;
  /** At most N: the newest N, or with afterSeq the next N. Defaults to 100. */
  limit?: number;
}

export interface AuditInput {
  time: string;
  actor: string;
  action: string;
  resourceId?: ResourceId;
  revisionId?: string;
  /** sha256 of the change set the action acted on. */
  diffDigest?: string;
  result: string;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  since?: string;
  resourceId?: ResourceId;
  actor?: string;
  action?: string;
  /** Entries after this sequence number, oldest first (paging forward, e.g. an export). */
  afterSeq?: number;
  /** At most N: the newest N, or with afterSeq the next N. Defaults to 1000. */
  limit?: number;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The first entry found edited, removed or out of order, with why. */
  firstBad?: { seq: number; problem: string };
  head?: string;
  /**
   * Set when the chain is intact but shorter than the anchor kept outside the
   * store says it was (the state was deleted, restored from an old copy or
   * truncated as a whole): `ok` is false.
   */
  truncated?: { endsAt: number; anchorSeq: number; anchor: string };
}

export type RunResult = 'succeeded' | 'failed' | 'partial' | 'running' | 'interrupted';

export interface RunRecord {
  id: string;
  command: string;
  revisionId?: string;
  actor: string;
  startedAt: string;
  finishedAt?: string;
  result: RunResult;
  summary: Record<string, number>;
  /** `host:pid` of the process running it: a `running` run whose holder is gone was interrupted. */
  holder?: string;
}

/**
 * An action about to act on a target, written before it acts and removed in
 * the transaction that records its outcome. One left behind means the process
 * ended (kill -9, full disk) between the two: the change may have been made,
 * and the next start audits it as `interrupted`.
 */
export interface ActionIntent {
  resourceId: ResourceId;
  /** `host:pid` of the process acting. */
  holder: string;
  runId?: string;
  /** The audit action its outcome would have: `apply.create`, `serve.update`… */
  action: string;
  actor: string;
  revisionId?: string;
  diffDigest: string;
  startedAt: string;
}

/**
 * What one transition writes, all in one transaction: an action's record,
 * event and audit entry (and the intent it clears), so a crash keeps all of
 * them or none. Several transitions that complete together share one batch
 * (a group commit).
 */
export interface StoreBatch {
  records?: readonly ResourceRecord[];
  deletes?: readonly ResourceId[];
  events?: readonly EventRecord[];
  audits?: readonly AuditInput[];
  /** Intents of actions about to act. */
  intents?: readonly ActionIntent[];
  /** Intents to remove, by holder and resource. */
  intentsDone?: ReadonlyArray<Pick<ActionIntent, 'holder' | 'resourceId'>>;
  runs?: readonly RunRecord[];
}

/**
 * A named lease (the state lock; the HA leader): one holder at a time until it
 * expires. Every store implements it the same way: taking a free, released or
 * expired lease bumps its term, so a term names one tenure and is never reused.
 */
export interface Lease {
  name: string;
  /** Who holds it: `host:pid what`. */
  holder: string;
  /** The fencing token: grows by one with every acquisition, never reused. */
  term: number;
  acquiredAt: string;
  /** Epoch milliseconds; 0 once released. */
  expiresAt: number;
  /** On acquisition only: the lease this one ended without its holder releasing it (it expired, or was taken from a dead holder). */
  previous?: Pick<Lease, 'holder' | 'term' | 'expiresAt'>;
}

/**
 * What a lock holder's writes are fenced with (see Store.setFence). The store
 * checks it in the same transaction as each write, so a paused holder whose
 * lease was taken over can neither write nor, through assertCanAct, act.
 */
export interface Fence {
  /** The lease name. */
  lease: string;
  holder: string;
  term: number;
  /** The lease's time to live: assertCanAct renews it when less than half is left. */
  ttlMs: number;
  /** Called once, when the store finds the lease taken over (a refused write or a failed check). */
  onLost?(error: Error): void;
}

/** Why a store cannot be trusted with writes: its file was deleted or replaced under it. */
export interface StoreProblem {
  code: 'SETPOINT_STATE_DELETED' | 'SETPOINT_STATE_REPLACED';
  /** A sentence naming the file and what happened. */
  message: string;
  path: string;
  /** When it was first seen. */
  since: string;
}

/** Delete history older than these ISO times (and SLI samples before this minute); the audit log is never pruned. */
export interface RetentionCutoffs {
  /** Events, policy violations and reconcile spans. */
  events: string;
  /** Finished runs and drift episodes. */
  runs: string;
  /** Alert incidents resolved before it. */
  alerts: string;
  sliMinute: number;
}

/** Rows deleted by a prune, by table. */
export type PruneCounts = Record<
  'events' | 'violations' | 'spans' | 'runs' | 'driftEpisodes' | 'alerts' | 'sliSamples',
  number
>;

/** The whole contract; the alerting part (incidents, silences, SLI samples) is in alerts.ts, policy violations in violations.ts, reconcile spans in spans.ts, nodes in nodes.ts, rollouts in rollouts.ts. */
/** What one report batch from a node's agent writes besides its id (see NodeBatchStore). */
export interface NodeBatchWrites {
  events: readonly EventRecord[];
  audits: readonly AuditInput[];
  /** Drift episodes as they ended on the node (closed ones carry remediatedAt and resolution). */
  episodes: readonly DriftEpisode[];
  /** The node as the batch leaves it, from the node as stored, read in the same transaction. */
  update: (node: NodeRecord) => NodeRecord;
}

/** The fleet's report batches (migration 10), here rather than in ./nodes.ts as they write events and audit entries. */
export interface NodeBatchStore {
  /**
   * Writes `node`'s report batch `batchId` and everything it carries in one
   * transaction (fenced, audit chained, on PostgreSQL): a crash or a failed
   * write keeps all of it or none, the id included, so the agent's retry is
   * taken. A batch id already taken (a retry after a lost answer) writes
   * nothing: 'duplicate'.
   */
  applyNodeBatch(node: string, batchId: string, at: string, batch: NodeBatchWrites): Promise<NodeBatchResult>;
}

export interface Store
  extends AlertStore, ViolationStore, SpanStore, FleetStore, NodeBatchStore, RolloutStore {
  /** A random per-store salt for keyed digests of secrets. */
  salt(): Promise<string>;
  /**
   * A small value its caller keeps beside the state (the agent's report
   * cursor), committed like any write: apart from the store's own meta keys.
   */
  getMeta(key: string): Promise<string | undefined>;
  putMeta(key: string, value: string): Promise<void>;

  putRevision(rev: RevisionRecord): Promise<void>;
  getRevision(id: string): Promise<RevisionRecord | undefined>;
  listRevisions(options?: { source?: string; limit?: number }): Promise<RevisionRecord[]>;
  markConverged(revisionId: string, at: string): Promise<void>;

  getResource(id: ResourceId): Promise<ResourceRecord | undefined>;
  listResources(filter?: ResourceFilter): Promise<ResourceRecord[]>;
  /** Id, sync, managed/declared flags and signature of every record of a source, cheaply. */
  listResourceSummaries(source: string): Promise<ResourceSummary[]>;
  /** Inserts or replaces records in one transaction. */
  putResources(records: readonly ResourceRecord[]): Promise<void>;
  deleteResources(ids: readonly ResourceId[]): Promise<void>;

  appendEvents(events: readonly EventRecord[]): Promise<void>;
  /** Deletes history older than the cutoffs (retention), in one transaction; audit entries are kept. */
  prune(cutoffs: RetentionCutoffs): Promise<PruneCounts>;
  listEvents(query?: EventQuery): Promise<EventRecord[]>;

  appendAudit(entries: readonly AuditInput[]): Promise<AuditEntry[]>;
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
  /** Recomputes the chain, and compares it with the anchor kept outside the store (a truncated chain fails). */
  verifyAudit(): Promise<AuditVerification>;
  /** Keeps the head of an `audit export` outside the store, as a second anchor for verifyAudit. */
  recordAuditExport(head: { seq: number; hash: string }, file?: string): Promise<void>;

  getSource(name: string): Promise<SourceState | undefined>;
  /**
   * Changes a source's state as one atomic read-modify-write: a fetch that
   * ends after a pin or an unpin must not write the state it read before.
   */
  updateSource(name: string, change: (state: SourceState) => SourceState): Promise<SourceState>;
  listSources(): Promise<SourceState[]>;

  /** Stores a new API token; false (nothing written) when an unrevoked token of that name exists. */
  createToken(token: TokenRecord): Promise<boolean>;
  /** Every token, revoked ones too, by name. */
  listTokens(): Promise<TokenRecord[]>;
  /** Revokes the active token of that name; false when there is none. */
  revokeToken(name: string, at: string, by: string): Promise<boolean>;

  putApproval(approval: ApprovalRecord): Promise<void>;
  /**
   * Changes one approval atomically: reads it (by exact id; undefined when there
   * is none), calls `change`, and writes what it returns, in one transaction,
   * so two writers (replicas, a CLI beside serve) never lose each other's
   * update. `change` returns undefined to write nothing, or throws to abort.
   * Returns the record written, or undefined when nothing was.
   */
  updateApproval(
    id: string,
    change: (current: ApprovalRecord | undefined) => ApprovalRecord | undefined,
  ): Promise<ApprovalRecord | undefined>;
  /** By id or unique id prefix. */
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(filter?: { state?: ApprovalState; resourceId?: ResourceId }): Promise<ApprovalRecord[]>;

  appendNudge(nudge: Nudge): Promise<number>;
  listNudges(afterSeq: number): Promise<Nudge[]>;

  /** Opens an episode and returns its id. */
  openEpisode(episode: DriftEpisode): Promise<number>;
  closeEpisode(id: number, remediatedAt: string, resolution: string): Promise<void>;
  listEpisodes(options?: { since?: string; limit?: number }): Promise<DriftEpisode[]>;

  /** Cheap check whether anyone committed since the last call (a counter that changes). */
  changeCounter(): Promise<number>;
  /**
   * Calls `listener` soon after the store is written, by any process, so a
   * caller reads changeCounter() then instead of every second; returns the
   * stop. undefined when the store cannot tell (then poll). `onBroken`: the
   * watch stopped working (poll from then on). SQLite: a watch on its folder.
   */
  watchWrites?(listener: () => void, onBroken: (err: Error) => void): (() => void) | undefined;

  putRun(run: RunRecord): Promise<void>;
  /** Newest first; `result` keeps only runs with that result. */
  listRuns(options?: { limit?: number; result?: RunResult }): Promise<RunRecord[]>;

  /** Writes a batch in one transaction (see StoreBatch); returns the audit entries as chained. */
  commit(batch: StoreBatch): Promise<AuditEntry[]>;
  /** Intents left by actions (see ActionIntent); written and removed through `commit`. */
  listIntents(): Promise<ActionIntent[]>;

  /**
   * Takes the lease if free, released, expired or already ours (same term);
   * undefined when someone else holds it. A new tenure gets the next term.
   * `takeFrom`: take it even though it is valid, if exactly that holder holds
   * it at that term (a holder known to be dead).
   */
  acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    takeFrom?: Pick<Lease, 'holder' | 'term'>,
  ): Promise<Lease | undefined>;
  /** Extends the lease if `holder` still holds it at `term`; false when it was taken over. */
  renewLease(name: string, holder: string, term: number, ttlMs: number): Promise<boolean>;
  /** Ends the tenure (the row stays, expired, so terms keep growing); a no-op unless `holder` holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;
  /**
   * Fences every later write through this store handle: each write (records,
   * events, audit, runs, anything but leases) is refused with a LockLostError,
   * atomically with the write, unless `fence.lease` is still held by
   * `fence.holder` at `fence.term`. undefined lifts the fence (on release).
   */
  setFence(fence: Fence | undefined): void;
  /**
   * Before acting outside the store (a provider apply): throws when this
   * handle's writes would be refused: a LockLostError when its fence's lease
   * was taken over (renewing it when it runs low), a StateProblemError when
   * the store has a problem(). Cheap enough to call before every action.
   */
  assertCanAct(): Promise<void>;
  /** Why writes cannot be trusted now (e.g. the state file was deleted); undefined while healthy. Cheap: probes call it. */
  problem(): StoreProblem | undefined;
  /** Calls `listener` once when a problem is first seen (watched while subscribed, see guard.ts); returns the unsubscribe. */
  onProblem(listener: (problem: StoreProblem) => void): () => void;

  close(): Promise<void>;
}
