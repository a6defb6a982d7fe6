/**
 * The API of a running `setpoint serve`, over HTTP: the same method shapes
 * as the local `Setpoint` (see types.ts), so CLI commands work against a
 * server with `--server URL --token TOKEN`.
 */
import {
  SetpointError,
  type AlertListOptions,
  type ConvergenceFigures,
  type Description,
  type SpanView,
  type StatusSummary,
  type TokenInfo,
} from '../api/index.js';
import type { Role } from '../auth/index.js';
import { normalizeId, type ResourceId } from '../manifest/index.js';
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
import type { SetpointClient, SourceStatus, SyncResult } from './types.js';
import type { EnrollTokenInfo, NodeInfo, NodeSet } from '../api/index.js';
import type { NodeResourceStatus } from '../store/index.js';
import type { SilenceInput, SilenceState } from '../telemetry/alerts/silences.js';
import type { AlertRecord, SilenceRecord } from '../store/alerts.js';
import type { SloStatus } from '../telemetry/slo/status.js';

export interface RemoteOptions {
  /** Base URL, e.g. http://127.0.0.1:7420 */
  server: string;
  token?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export class RemoteSetpoint implements SetpointClient {
  private constructor(
    private readonly base: string,
    private readonly token: string | undefined,
    /** The server's default namespace (ids without one). */
    readonly namespace: string,
  ) {}

  /** Connects: checks the server answers and the token is accepted. */
  static async connect(options: RemoteOptions): Promise<RemoteSetpoint> {
    let base: string;
    try {
      base = new URL(options.server).toString().replace(/\/+$/, '');
    } catch {
      throw new SetpointError(
        `not a URL: ${options.server}`,
        'SETPOINT_INVALID_ARGUMENT',
        'e.g. --server http://127.0.0.1:7420',
      );
    }
    const probe = new RemoteSetpoint(base, options.token, 'default');
    const info = await probe.request<{ namespace: string }>('GET', '/api/v1/info');
    return new RemoteSetpoint(base, options.token, info.namespace);
  }

  normalizeId(id: string): ResourceId {
    return normalizeId(id, this.namespace);
  }

  async status(filter: ResourceFilter = {}): Promise<StatusSummary> {
    const selector = filter.labels
      ? Object.entries(filter.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : undefined;
    const r = await this.request<{ items: ResourceRecord[]; counts: StatusSummary['counts'] }>(
      'GET',
      '/api/v1/resources',
      {
        query: {
          kind: filter.kind,
          namespace: filter.namespace,
          sync: filter.sync,
          health: filter.health,
          selector,
        },
      },
    );
    const s = await this.request<{
      serve?: {
        leadership?: {
          role: 'leader' | 'follower';
          replica: string;
          leader?: string;
          term?: number;
          leaseExpiresAt?: string;
        };
      } | null;
    }>('GET', '/api/v1/status');
    const l = s.serve?.leadership;
    return {
      resources: r.items,
      counts: r.counts,
      leader:
        l?.leader && l.term !== undefined && l.leaseExpiresAt
          ? { holder: l.leader, term: l.term, expiresAt: l.leaseExpiresAt }
          : undefined,
      replica: l && { name: l.replica, role: l.role },
    };
  }

  async convergence(): Promise<ConvergenceFigures> {
    return (await this.request<{ convergence: ConvergenceFigures }>('GET', '/api/v1/status')).convergence;
  }

  async slos(): Promise<SloStatus[]> {
    return (await this.request<{ slos?: SloStatus[] }>('GET', '/api/v1/status')).slos ?? [];
  }

  async get(id: string): Promise<ResourceRecord | undefined> {
    try {
      return (
        await this.request<{ record: ResourceRecord }>('GET', `/api/v1/resources/${this.path(id)}`, {
          query: { events: 0 },
        })
      ).record;
    } catch (err) {
      if (err instanceof SetpointError && err.code === 'SETPOINT_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async describe(id: string, paths?: readonly string[]): Promise<Description> {
    if (paths && paths.length > 0) throw localOnly('-f');
    try {
      return await this.request<Description>('GET', `/api/v1/resources/${this.path(id)}`, {
        query: { live: true },
      });
    } catch (err) {
      if (err instanceof SetpointError && err.code === 'SETPOINT_NOT_FOUND')
        return { id: this.normalizeId(id), exists: false, changes: [], events: [], diagnostics: [] };
      throw err;
    }
  }

  async history(limit = 20): Promise<{ runs: RunRecord[]; revisions: RevisionRecord[] }> {
    const [runs, revisions] = await Promise.all([
      this.request<{ items: RunRecord[] }>('GET', '/api/v1/runs', { query: { limit } }),
      this.request<{ items: RevisionRecord[] }>('GET', '/api/v1/revisions', { query: { limit } }),
    ]);
    return { runs: runs.items, revisions: revisions.items };
  }

  async events(id?: string, limit = 50): Promise<EventRecord[]> {
    return (
      await this.request<{ items: EventRecord[] }>('GET', '/api/v1/events', {
        query: { resource: id ? this.normalizeId(id) : undefined, limit },
      })
    ).items;
  }

  async spans(id: string, options: { limit?: number } = {}): Promise<SpanView[]> {
    return (
      await this.request<{ items: SpanView[] }>('GET', `/api/v1/resources/${this.path(id)}/spans`, {
        query: { limit: options.limit },
      })
    ).items;
  }

  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const q = {
      resource: query.resourceId ? this.normalizeId(query.resourceId) : undefined,
      actor: query.actor,
      action: query.action,
      since: query.since,
      after: query.afterSeq,
      limit: query.limit,
    };
    return (await this.request<{ items: AuditEntry[] }>('GET', '/api/v1/audit', { query: q })).items;
  }

  async verifyAudit(): Promise<AuditVerification & { entry?: AuditEntry }> {
    return this.request('GET', '/api/v1/audit/verify');
  }

  async approvals(state?: ApprovalState): Promise<ApprovalRecord[]> {
    return (
      await this.request<{ items: ApprovalRecord[] }>('GET', '/api/v1/approvals', {
        query: { state: state ?? 'all' },
      })
    ).items;
  }

  async approve(
    idOrPrefix: string,
    options: { paths?: readonly string[]; note?: string; nodes?: readonly string[] } = {},
  ): Promise<ApprovalRecord> {
    if (options.paths && options.paths.length > 0) throw localOnly('-f');
    return this.request<ApprovalRecord>(
      'POST',
      `/api/v1/approvals/${encodeURIComponent(idOrPrefix)}/approve`,
      { body: { note: options.note, ...(options.nodes?.length ? { nodes: options.nodes } : {}) } },
    );
  }

  async reject(
    idOrPrefix: string,
    note?: string,
    options: { nodes?: readonly string[] } = {},
  ): Promise<ApprovalRecord> {
    return this.request<ApprovalRecord>(
      'POST',
      `/api/v1/approvals/${encodeURIComponent(idOrPrefix)}/reject`,
      { body: { note, ...(options.nodes?.length ? { nodes: options.nodes } : {}) } },
    );
  }

  async resume(id: string): Promise<ResourceRecord> {
    return this.request<ResourceRecord>('POST', `/api/v1/resources/${this.path(id)}/resume`);
  }

  async sync(source?: string): Promise<SyncResult[]> {
    return (await this.request<{ items: SyncResult[] }>('POST', '/api/v1/sync', { body: { source } })).items;
  }

  async sourcesStatus(): Promise<SourceStatus[]> {
    return (await this.request<{ items: SourceStatus[] }>('GET', '/api/v1/sources')).items;
  }

  async rollback(revision: string, source?: string): Promise<RevisionRecord> {
    return this.request<RevisionRecord>(
      'POST',
      `/api/v1/sources/${encodeURIComponent(source ?? (await this.onlyGitSource()))}/pin`,
      { body: { revision } },
    );
  }

  async unpin(source?: string): Promise<SourceState> {
    return this.request<SourceState>(
      'POST',
      `/api/v1/sources/${encodeURIComponent(source ?? (await this.onlyGitSource()))}/unpin`,
    );
  }

  async rollouts(source?: string): Promise<RolloutRecord[]> {
    return (await this.request<{ items: RolloutRecord[] }>('GET', '/api/v1/rollouts', { query: { source } }))
      .items;
  }

  async rolloutCommand(
    verb: 'pause' | 'resume' | 'abort' | 'promote',
    source?: string,
  ): Promise<RolloutRecord> {
    return this.request<RolloutRecord>('POST', `/api/v1/rollouts/${verb}`, {
      body: source ? { source } : {},
    });
  }

  /** The default of rollback/unpin, as the local API picks it: the only Git source. */
  private async onlyGitSource(): Promise<string> {
    const git = (await this.sourcesStatus()).filter((s) => s.kind === 'git');
    if (git.length === 1) return git[0].name;
    throw new SetpointError(
      git.length === 0 ? 'no Git source is configured' : `${git.length} Git sources: say which`,
      'SETPOINT_UNKNOWN_SOURCE',
      git.length === 0
        ? 'add one under sources: in setpoint.yaml'
        : `--source ${git.map((s) => s.name).join(' | ')}`,
    );
  }

  async createToken(input: {
    name: string;
    role: Role;
    namespaces?: readonly string[];
  }): Promise<{ token: string; info: TokenInfo }> {
    return this.request('POST', '/api/v1/tokens', { body: input });
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.request<{ items: TokenInfo[] }>('GET', '/api/v1/tokens')).items;
  }

  async revokeToken(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`);
  }

  async nodes(): Promise<NodeInfo[]> {
    return (await this.request<{ items: NodeInfo[] }>('GET', '/api/v1/nodes')).items;
  }

  node(name: string): Promise<NodeInfo & { resources: NodeResourceStatus[] }> {
    return this.request('GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
  }

  nodeSet(name: string): Promise<NodeSet> {
    return this.request('GET', `/api/v1/nodes/${encodeURIComponent(name)}/set`);
  }

  async nodeWindows(name: string): Promise<WindowSpec[]> {
    return (
      await this.request<{ items: WindowSpec[] }>('GET', `/api/v1/nodes/${encodeURIComponent(name)}/windows`)
    ).items;
  }

  async nodeEvents(name: string, id?: string, limit = 50): Promise<EventRecord[]> {
    return (
      await this.request<{ items: EventRecord[] }>(
        'GET',
        `/api/v1/nodes/${encodeURIComponent(name)}/events`,
        {
          query: { resource: id ? this.normalizeId(id) : undefined, limit },
        },
      )
    ).items;
  }

  createEnrollToken(input: {
    ttlMs: number;
    labels?: Record<string, string>;
    uses?: number;
  }): Promise<{ token: string; info: EnrollTokenInfo }> {
    return this.request('POST', '/api/v1/nodes/enroll-tokens', { body: input });
  }

  revokeNode(name: string): Promise<NodeInfo> {
    return this.request('POST', `/api/v1/nodes/${encodeURIComponent(name)}/revoke`);
  }

  async requestNodeRotation(name: string): Promise<void> {
    await this.request('POST', `/api/v1/nodes/${encodeURIComponent(name)}/rotate`);
  }

  async alerts(options: AlertListOptions = {}): Promise<AlertRecord[]> {
    return (
      await this.request<{ items: AlertRecord[] }>('GET', '/api/v1/alerts', {
        query: { all: options.all ? 'true' : undefined, since: options.since, limit: options.limit },
      })
    ).items;
  }

  async ackAlert(idOrPrefix: string, input: { actionable: boolean; comment?: string }): Promise<AlertRecord> {
    return this.request('POST', `/api/v1/alerts/${encodeURIComponent(idOrPrefix)}/ack`, { body: input });
  }

  async silences(options: { all?: boolean } = {}): Promise<Array<SilenceRecord & { state: SilenceState }>> {
    return (
      await this.request<{ items: Array<SilenceRecord & { state: SilenceState }> }>(
        'GET',
        '/api/v1/silences',
        {
          query: { all: options.all ? 'true' : undefined },
        },
      )
    ).items;
  }

  async createSilence(input: SilenceInput): Promise<SilenceRecord> {
    return this.request('POST', '/api/v1/silences', {
      body: {
        matchers: input.matchers,
        duration: `${Math.round(input.durationMs)}ms`,
        comment: input.comment,
        startsAt: input.startsAt?.toISOString(),
      },
    });
  }

  async expireSilence(idOrPrefix: string): Promise<SilenceRecord> {
    return this.request('DELETE', `/api/v1/silences/${encodeURIComponent(idOrPrefix)}`);
  }

  /** At once, then after each batch of server-sent messages (status changes, events). */
  async *changes(signal: AbortSignal): AsyncGenerator<void> {
    const res = await this.send('GET', '/api/v1/watch', { signal, accept: 'text/event-stream' });
    yield;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read().catch((err: unknown) => {
          if (signal.aborted) return { done: true as const, value: undefined };
          throw err;
        });
        if (done) return;
        // Any message other than hello or a keep-alive comment: something changed.
        if (/^event: (status|deleted|event)$/m.test(decoder.decode(value, { stream: true }))) yield;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}

  /** Kind/namespace/name as path segments. */
  private path(id: string): string {
    return this.normalizeId(id).split('/').map(encodeURIComponent).join('/');
  }

  private async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const res = await this.send(method, path, options);
    return (await res.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; signal?: AbortSignal; accept?: string } = {},
  ): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new SetpointError(
        `cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        'SETPOINT_SERVER_UNREACHABLE',
        'is `setpoint serve` running there? check --server / SETPOINT_SERVER',
      );
    }
    if (res.ok) return res;
    const text = await res.text();
    let body: { error?: { code?: string; message?: string; hint?: string }; diagnostics?: [] } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const e = body?.error;
    throw new SetpointError(
      e?.message ?? `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
      e?.code ?? `SETPOINT_HTTP_${res.status}`,
      e?.hint,
      body?.diagnostics ?? [],
    );
  }
}

function localOnly(flag: string): SetpointError {
  return new SetpointError(
    `${flag} reads local files and does not work with --server`,
    'SETPOINT_INVALID_ARGUMENT',
    'run the command on the server host, or leave out the option',
  );
}
