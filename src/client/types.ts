/**
 * What the CLI's remote-capable commands use of the API. `Setpoint` (the
 * local API over the store) and `RemoteSetpoint` (a running server over
 * HTTP) both satisfy it, so a command works the same either way.
 */
import type {
  ActorOption,
  AlertListOptions,
  ConvergenceFigures,
  Description,
  SpanView,
  EnrollTokenInfo,
  NodeInfo,
  NodeSet,
  StatusSummary,
  TokenInfo,
} from '../api/index.js';
import type { NodeResourceStatus } from '../store/index.js';
import type { Role } from '../auth/index.js';
import type { ResourceId } from '../manifest/index.js';
import type { WindowSpec } from '../windows/index.js';
import type {
  ApprovalRecord,
  ApprovalState,
  AuditEntry,
  AuditQuery,
  AuditVerification,
  EventRecord,
  ResourceFilter,
  ResourceRecord,
  RevisionRecord,
  RolloutRecord,
  RunRecord,
  SourceState,
} from '../store/index.js';
import type { Admission } from '../source/sources.js';
import type { SloStatus } from '../telemetry/slo/status.js';
import type { AlertRecord, SilenceRecord } from '../store/alerts.js';
import type { SilenceInput, SilenceState } from '../telemetry/alerts/silences.js';

/** One source's admission, as `sync` reports it. */
export type SyncResult = Pick<Admission, 'source' | 'revision' | 'known' | 'diagnostics'>;

export type SourceStatus = SourceState & { kind: 'folder' | 'git'; url?: string; ref?: string };

export interface SetpointClient {
  normalizeId(id: string): ResourceId;
  status(filter?: ResourceFilter): Promise<StatusSummary>;
  convergence(): Promise<ConvergenceFigures>;
  /** Each SLO of setpoint.yaml: error budget and burn rates now. */
  slos(): Promise<SloStatus[]>;
  get(id: string): Promise<ResourceRecord | undefined>;
  describe(id: string, paths?: readonly string[]): Promise<Description>;
  history(limit?: number): Promise<{ runs: RunRecord[]; revisions: RevisionRecord[] }>;
  events(id?: string, limit?: number): Promise<EventRecord[]>;
  /** A resource's reconcile spans, newest first. */
  spans(id: string, options?: { limit?: number }): Promise<SpanView[]>;
  audit(query?: AuditQuery): Promise<AuditEntry[]>;
  verifyAudit(): Promise<AuditVerification & { entry?: AuditEntry }>;
  approvals(state?: ApprovalState): Promise<ApprovalRecord[]>;
  /** `nodes`: of a fleet approval, decide only these nodes' targets. */
  approve(
    idOrPrefix: string,
    options?: { paths?: readonly string[]; note?: string; nodes?: readonly string[] },
  ): Promise<ApprovalRecord>;
  reject(idOrPrefix: string, note?: string, options?: { nodes?: readonly string[] }): Promise<ApprovalRecord>;
  resume(id: string): Promise<ResourceRecord>;
  /** Fetches the sources and admits their revisions; a running serve follows. */
  sync(source?: string): Promise<SyncResult[]>;
  sourcesStatus(): Promise<SourceStatus[]>;
  rollback(revision: string, source?: string): Promise<RevisionRecord>;
  /** The latest rollout of each source with a strategy (or of `source`). */
  rollouts(source?: string): Promise<RolloutRecord[]>;
  /** pause | resume | abort | promote, carried out by serve's leader. */
  rolloutCommand(verb: 'pause' | 'resume' | 'abort' | 'promote', source?: string): Promise<RolloutRecord>;
  unpin(source?: string): Promise<SourceState>;
  createToken(
    input: { name: string; role: Role; namespaces?: readonly string[] },
    options?: ActorOption,
  ): Promise<{ token: string; info: TokenInfo }>;
  listTokens(): Promise<TokenInfo[]>;
  revokeToken(name: string, options?: ActorOption): Promise<void>;
  alerts(options?: AlertListOptions): Promise<AlertRecord[]>;
  ackAlert(idOrPrefix: string, input: { actionable: boolean; comment?: string }): Promise<AlertRecord>;
  silences(options?: { all?: boolean }): Promise<Array<SilenceRecord & { state: SilenceState }>>;
  createSilence(input: SilenceInput): Promise<SilenceRecord>;
  expireSilence(idOrPrefix: string): Promise<SilenceRecord>;
  /** Enrolled nodes (`setpoint agent`). */
  nodes(): Promise<NodeInfo[]>;
  node(name: string): Promise<NodeInfo & { resources: NodeResourceStatus[] }>;
  /** The set the node gets now. */
  nodeSet(name: string): Promise<NodeSet>;
  /** The change windows whose nodeSelector selects the node (its agent enforces them). */
  nodeWindows(name: string): Promise<WindowSpec[]>;
  /** The newest events the node reported, of all its resources or of one. */
  nodeEvents(name: string, id?: string, limit?: number): Promise<EventRecord[]>;
  createEnrollToken(
    input: { ttlMs: number; labels?: Record<string, string>; uses?: number },
    options?: ActorOption,
  ): Promise<{ token: string; info: EnrollTokenInfo }>;
  revokeNode(name: string, options?: ActorOption): Promise<NodeInfo>;
  requestNodeRotation(name: string, options?: ActorOption): Promise<void>;
  /** Resolves (first at once) whenever status may have changed, until `signal` aborts. */
  changes(signal: AbortSignal): AsyncIterable<void>;
  close(): Promise<void>;
}
