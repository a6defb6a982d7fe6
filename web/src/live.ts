/**
 * The live picture: every resource's status (loaded once, then kept current
 * from GET /api/v1/watch) and the recent events. The watch is read with
 * fetch (EventSource cannot send an Authorization header); after a drop it
 * reconnects with Last-Event-ID (the last event's sequence number) and
 * reloads the statuses it may have missed. Views subscribe and re-render.
 */
import type { Api } from './api';
import { ApiError } from './api';
import type { EventRecord, ResourceRecord, Row } from './types';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'offline';

interface StatusMessage {
  id: string;
  sync: string;
  health: string;
  message?: string;
  revision?: string;
  time: string;
}

const MAX_EVENTS = 500;
/** Statuses in the first page (paints at once) and in each later one. */
const FIRST_PAGE = 200;
const PAGE = 2500;

export function rowOf(r: ResourceRecord): Row {
  const waiting = r.conditions.find((c) => c.type === 'Synced' && c.status === 'False');
  return {
    id: r.id,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    sync: r.sync,
    health: r.health,
    message:
      (r.sync === 'Blocked' || r.sync === 'Conflict' || r.sync === 'Held' ? waiting?.message : undefined) ??
      r.lastError ??
      r.healthMessage,
    since: r.driftedSince ?? waiting?.lastTransitionTime ?? r.updatedAt,
    revision: r.lastAppliedRevision,
    priority: r.lifecycle?.priority,
    dependsOn: r.dependsOn ?? [],
  };
}

export class Live {
  readonly rows = new Map<string, Row>();
  /** Newest last. */
  events: EventRecord[] = [];
  connection: Connection = 'connecting';
  /** True until every status has been read (the first pages show before the rest arrive). */
  loading = true;
  error: string | undefined;
  /** Bumped on every change: views compare it to know when to re-render. */
  version = 0;
  /** Bumped per kind when a resource of that kind changes: panels of one kind (goals) follow it. */
  readonly kindVersions = new Map<string, number>();
  private lastEventId: string | undefined;
  private readonly listeners = new Set<() => void>();
  private abort: AbortController | undefined;
  private stopped = false;
  private retryMs = 500;
  private notifyTimer: number | undefined;

  constructor(private readonly api: Api) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  /** Coalesces bursts (a pass over 10,000 resources) into one render per animation frame or so. */
  private changed(): void {
    this.version++;
    if (this.notifyTimer !== undefined) return;
    this.notifyTimer = window.setTimeout(() => {
      this.notifyTimer = undefined;
      for (const l of this.listeners) l();
    }, 50);
  }

  private bumpKind(id: string): void {
    const kind = id.slice(0, id.indexOf('/'));
    this.kindVersions.set(kind, (this.kindVersions.get(kind) ?? 0) + 1);
  }

  private setConnection(c: Connection, error?: string): void {
    this.connection = c;
    this.error = error;
    this.changed();
  }

  /**
   * Reads every status, a page at a time: the first page is small so the
   * views paint at once, the rest follow in larger pages (a single answer of
   * 10,000 records kept the first paint waiting for all of them). After a
   * reconnect the old rows stay until the new set is complete.
   */
  private async load(): Promise<void> {
    const initial = this.rows.size === 0;
    const fresh = initial ? this.rows : new Map<string, Row>();
    this.loading = true;
    const events =
      this.events.length === 0
        ? this.api.get<{ items: EventRecord[] }>('/api/v1/events?limit=200')
        : undefined;
    // Awaited below; a failed page must not leave it rejected unobserved.
    events?.catch(() => undefined);
    let after: string | undefined;
    let limit = FIRST_PAGE;
    for (;;) {
      const page = await this.api.get<{ items: ResourceRecord[]; next?: string }>(
        `/api/v1/resources?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      );
      for (const r of page.items) fresh.set(r.id, rowOf(r));
      if (initial) this.changed();
      if (!page.next) break;
      after = page.next;
      limit = PAGE;
    }
    if (!initial) {
      this.rows.clear();
      for (const [id, row] of fresh) this.rows.set(id, row);
    }
    this.loading = false;
    // Every change of rows bumps the version at once: views memoise on it.
    for (const [k, v] of this.kindVersions) this.kindVersions.set(k, v + 1);
    this.changed();
    if (events) {
      const { items } = await events;
      this.events = items;
      const last = items.at(-1);
      if (last?.seq !== undefined) this.lastEventId = String(last.seq);
      this.changed();
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.load();
        await this.stream();
        // The server ended the stream (overflow, restart): reconnect at once.
        this.setConnection('reconnecting', 'the stream ended');
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          this.setConnection('offline', err.explain());
          return;
        }
        this.setConnection('reconnecting', (err as Error).message);
        await new Promise((r) => setTimeout(r, this.retryMs));
        this.retryMs = Math.min(this.retryMs * 2, 10_000);
      }
    }
  }

  private async stream(): Promise<void> {
    this.abort = new AbortController();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.api.token}`,
      accept: 'text/event-stream',
    };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const res = await fetch('/api/v1/watch', { headers, signal: this.abort.signal, cache: 'no-store' });
    if (!res.ok || !res.body) {
      const text = await res.text();
      let msg = res.statusText;
      try {
        msg = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        /* not JSON */
      }
      throw new ApiError(res.status, `HTTP_${res.status}`, msg);
    }
    this.retryMs = 500;
    this.setConnection('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let i: number;
      while ((i = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i).replace(/^\r?\n\r?\n/, '');
        this.message(block);
      }
    }
  }

  private message(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length === 0) return;
    const payload = JSON.parse(data.join('\n')) as unknown;
    if (id) this.lastEventId = id;
    if (event === 'status') this.status(payload as StatusMessage);
    else if (event === 'deleted') {
      this.rows.delete((payload as { id: string }).id);
      this.bumpKind((payload as { id: string }).id);
      this.changed();
    } else if (event === 'event') {
      const e = payload as EventRecord;
      if (this.events.some((x) => x.seq !== undefined && x.seq === e.seq)) return;
      this.events.push(e);
      if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
      this.changed();
    } else if (event === 'overflow') this.abort?.abort();
  }

  private status(s: StatusMessage): void {
    const before = this.rows.get(s.id);
    const [kind, namespace, name] = s.id.split('/');
    this.rows.set(s.id, {
      id: s.id,
      kind,
      namespace,
      name,
      sync: s.sync,
      health: s.health,
      message: s.message,
      since: before && before.sync === s.sync ? before.since : s.time,
      revision: s.revision,
      priority: before?.priority,
      dependsOn: before?.dependsOn ?? [],
    });
    this.bumpKind(s.id);
    this.changed();
  }
}
