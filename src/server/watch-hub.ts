/**
 * The source of `GET /api/v1/watch`: status changes and events as they
 * happen. Status changes come from serve's recorder (each flush hands over
 * the records it wrote; a change of sync, health or message is sent);
 * events are read from the store by sequence number after each flush and
 * every second (events of other processes). Fleet routes hand over nodes
 * that enrolled or reported. Nothing runs while nobody watches.
 */
import type { Setpoint } from '../api/index.js';
import type { EventRecord, ResourceRecord } from '../store/index.js';
import type { Flushed } from '../engine/recorder.js';
import type { ServeHandle } from './serve-handle.js';

export interface StatusChange {
  id: string;
  sync: string;
  health: string;
  message?: string;
  revision?: string;
  time: string;
}

/** A node that enrolled or reported, as `setpoint nodes` shows it (never its token). */
export interface NodeChange {
  node: string;
  change: 'enrolled' | 'reported';
  labels: Record<string, string>;
  appliedRevision?: string;
  counts: { total: number; inSync: number; drifted: number; failed: number };
  behind: boolean;
  offline: boolean;
  time: string;
}

export type WatchMessage =
  | { type: 'status'; data: StatusChange }
  | { type: 'deleted'; data: { id: string; time: string } }
  | { type: 'event'; data: EventRecord }
  | { type: 'node'; data: NodeChange };

export interface Subscriber {
  /** Which resources it wants (events without a resource ask with undefined). */
  wants(resourceId: string | undefined): boolean;
  send(message: WatchMessage): void;
  /** Events after this sequence number are sent (a resuming client's Last-Event-ID). */
  afterSeq?: number;
  /** Called when the hub closes (the server is stopping). */
  closed?(): void;
}

interface Sub extends Subscriber {
  seq: number;
}

/** What a record shows in a watch: sync, health and the message status prints. */
export function statusOf(r: ResourceRecord): StatusChange {
  const waiting =
    r.sync === 'Blocked' || r.sync === 'Conflict' || r.sync === 'Held'
      ? r.conditions.find((c) => c.type === 'Synced' && c.status === 'False')?.message
      : undefined;
  return {
    id: r.id,
    sync: r.sync,
    health: r.health,
    message: waiting ?? r.lastError ?? r.healthMessage,
    revision: r.lastAppliedRevision,
    time: r.updatedAt,
  };
}

export class WatchHub {
  private readonly subs = new Set<Sub>();
  private readonly last = new Map<string, string>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private pending = 0;
  private starting: Promise<void> | undefined;

  constructor(
    /** Where events are read: the API's `events(id, limit, afterSeq)`. */
    private readonly api: Pick<Setpoint, 'events'>,
    private readonly serve?: ServeHandle,
    /** How often events are read when nothing was flushed. Defaults to 1 s. */
    private readonly pollMs = 1_000,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  /** Starts sending; returns the unsubscribe. Replays events after `afterSeq` first. */
  async subscribe(subscriber: Subscriber): Promise<() => void> {
    if (this.closed) return () => undefined;
    this.pending++;
    let sub: Sub;
    try {
      this.starting ??= this.start();
      await this.starting;
      sub = Object.assign(subscriber, { seq: subscriber.afterSeq ?? this.seq });
      // Catch up before joining: the live path only sends events after sub.seq.
      await this.replay(sub);
    } finally {
      this.pending--;
    }
    this.subs.add(sub);
    return () => {
      this.subs.delete(sub);
      if (this.subs.size === 0 && this.pending === 0) this.stop();
    };
  }

  /** Ends every subscription (the server is stopping). */
  close(): void {
    this.closed = true;
    for (const s of this.subs) s.closed?.();
    this.subs.clear();
    this.stop();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async start(): Promise<void> {
    const [newest] = await this.api.events(undefined, 1);
    this.seq = newest?.seq ?? 0;
    this.unsubscribe = this.serve?.onFlushed((w) => this.flushed(w));
    this.timer = setInterval(() => void this.pollEvents(), this.pollMs);
    this.timer.unref();
  }

  private stop(): void {
    this.starting = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.last.clear();
  }

  private flushed(w: Flushed): void {
    for (const r of w.records) {
      const s = statusOf(r);
      const line = `${s.sync}\x1f${s.health}\x1f${s.message ?? ''}`;
      if (this.last.get(r.id) === line) continue;
      this.last.set(r.id, line);
      this.broadcast({ type: 'status', data: s }, r.id);
    }
    for (const id of w.deletes) {
      this.last.delete(id);
      this.broadcast({ type: 'deleted', data: { id, time: new Date().toISOString() } }, id);
    }
    if (w.events > 0) void this.pollEvents();
  }

  /** A node enrolled or reported: sent to streams without a kind, namespace or resource filter. */
  publishNode(change: NodeChange): void {
    this.broadcast({ type: 'node', data: change }, undefined);
  }

  private broadcast(message: WatchMessage, resourceId: string | undefined): void {
    for (const s of this.subs) if (s.wants(resourceId)) s.send(message);
  }

  /** Reads events after the last one sent; one read at a time. */
  private pollEvents(): Promise<void> {
    this.polling ??= this.readEvents().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readEvents(): Promise<void> {
    for (;;) {
      if (this.subs.size === 0) return;
      const page = await this.api.events(undefined, 500, this.seq);
      for (const e of page) {
        this.seq = Math.max(this.seq, e.seq ?? 0);
        for (const s of this.subs) {
          if ((e.seq ?? 0) <= s.seq) continue;
          s.seq = e.seq ?? s.seq;
          if (s.wants(e.resourceId)) s.send({ type: 'event', data: e });
        }
      }
      if (page.length < 500) return;
    }
  }

  private async replay(sub: Sub): Promise<void> {
    while (sub.seq < this.seq) {
      const page = await this.api.events(undefined, 500, sub.seq);
      if (page.length === 0) return;
      for (const e of page) {
        sub.seq = Math.max(sub.seq, e.seq ?? 0);
        if (sub.wants(e.resourceId)) sub.send({ type: 'event', data: e });
      }
    }
  }
}
