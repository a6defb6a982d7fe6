/**
 * Turns what the agent's local state recorded since the last batch into the
 * next report batch: resource status (when it changed), events, closed drift
 * episodes and audit entries. A cursor kept in the agent's own store (its
 * meta table: a SQLite commit, not a file renamed per report) remembers what
 * was batched; the batch id is derived from the cursor ranges, so a batch
 * re-collected after a crash (before the cursor was saved) has the same id
 * and the server takes it once. Each resource carries when it was last observed and applied, and
 * the batch the set the agent holds and when it took it (fresh-results.ts):
 * a result turning fresh changes the batch, so the server hears of it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { NodeResourceStatus, Store } from '../store/index.js';
import { freshMarks, settled } from './fresh-results.js';
import type { ReportBatch } from './report.js';

interface Cursor {
  events: number;
  audit: number;
  statusHash?: string;
  /** Ids of closed episodes already batched (the most recent ones). */
  episodes: number[];
}

const PAGE = 1000;
/** The cursor's key in the store (Store.putMeta). */
export const CURSOR_KEY = 'report-cursor';

export class ReportCollector {
  private cursor: Cursor | undefined;
  private settledNow = false;

  constructor(
    private readonly options: {
      store: Store;
      /** Where older agents kept the cursor: moved into the store once, then removed. */
      oldCursorFile?: string;
      agentVersion: string;
      node: string;
    },
  ) {}

  /** The cursor, read from the store on first use (or from an older agent's file, moved into the store). */
  private async load(): Promise<Cursor> {
    if (this.cursor) return this.cursor;
    const { store, oldCursorFile } = this.options;
    if (oldCursorFile && existsSync(oldCursorFile)) {
      const old = readFileSync(oldCursorFile, 'utf8');
      JSON.parse(old); // a damaged file throws here, as it did at start, rather than land in the store
      // Stored before the file goes: a crash in between reads the same file again next time.
      await store.putMeta(CURSOR_KEY, old);
      rmSync(oldCursorFile, { force: true });
      rmSync(oldCursorFile + '.tmp', { force: true });
    }
    const saved = await store.getMeta(CURSOR_KEY);
    return (this.cursor ??= saved ? (JSON.parse(saved) as Cursor) : { events: 0, audit: 0, episodes: [] });
  }

  /** At the last collect: every resource had a result observed since the agent took its set (fresh-results.ts). */
  get settled(): boolean {
    return this.settledNow;
  }

  /**
   * The next batch, or undefined when nothing changed (unless `heartbeat`).
   * `commit()` must be called once the batch is safely buffered. `set`:
   * the set in force, with when the agent took it (`receivedAt`).
   */
  async collect(
    set: { digest?: string; revision?: string; receivedAt?: string },
    heartbeat = false,
  ): Promise<{ batch: ReportBatch; commit: () => Promise<void> } | undefined> {
    const { store } = this.options;
    const cursor = await this.load();
    const events = await store.listEvents({ afterSeq: cursor.events, limit: PAGE });
    const audit = await store.listAudit({ afterSeq: cursor.audit, limit: PAGE });
    const sent = new Set(cursor.episodes);
    const episodes = (await store.listEpisodes({ limit: 500 })).filter(
      (e) => e.remediatedAt && e.id !== undefined && !sent.has(e.id),
    );
    const status: NodeResourceStatus[] = (await store.listResources()).map((r) => ({
      id: r.id,
      sync: r.sync,
      health: r.health,
      // Not part of the status hash below: a check's figures change at each check.
      ...(r.healthMessage ? { healthMessage: r.healthMessage } : {}),
      ...(r.lastAppliedRevision ? { lastAppliedRevision: set.revision ?? r.lastAppliedRevision } : {}),
      ...(r.driftedSince ? { driftedSince: r.driftedSince } : {}),
      ...(r.lastError ? { lastError: r.lastError } : {}),
      updatedAt: r.updatedAt,
      // Not in the hash either (they change at each check): whether each result is fresh is.
      ...(r.lastObservedAt ? { observedAt: r.lastObservedAt } : {}),
      ...(r.lastAppliedAt ? { appliedAt: r.lastAppliedAt } : {}),
    }));
    const taken = set.digest && set.receivedAt ? { digest: set.digest, at: set.receivedAt } : undefined;
    const fresh = freshMarks(taken, status);
    this.settledNow = settled(taken, status);
    const statusHash = createHash('sha256')
      .update(
        JSON.stringify([
          set.digest,
          taken?.at,
          status.map((s, i) => [s.id, s.sync, s.health, s.lastError, fresh[i]]),
        ]),
      )
      .digest('hex');
    const statusChanged = statusHash !== cursor.statusHash;
    if (!heartbeat && !statusChanged && !events.length && !audit.length && !episodes.length) return undefined;
    const next: Cursor = {
      events: events.length ? events[events.length - 1].seq! : cursor.events,
      audit: audit.length ? audit[audit.length - 1].seq : cursor.audit,
      statusHash,
      episodes: [...cursor.episodes, ...episodes.map((e) => e.id!)].slice(-2000),
    };
    const id = createHash('sha256')
      .update(
        JSON.stringify([
          this.options.node,
          cursor.events,
          next.events,
          cursor.audit,
          next.audit,
          statusHash,
          episodes.map((e) => e.id),
          heartbeat && !statusChanged ? Date.now() : 0,
        ]),
      )
      .digest('hex')
      .slice(0, 32);
    const batch: ReportBatch = {
      id,
      createdAt: new Date().toISOString(),
      agentVersion: this.options.agentVersion,
      ...(set.digest ? { digest: set.digest } : {}),
      ...(set.revision ? { revision: set.revision } : {}),
      ...(taken ? { taken } : {}),
      ...(statusChanged || heartbeat ? { status } : {}),
      // Revision ids: the server's revision the set came from, not the agent's local folder digest.
      events: events.map(({ seq: _s, runId: _r, ...e }) => ({
        ...e,
        revisionId: set.revision ?? e.revisionId,
      })),
      episodes: episodes.map(({ id: _id, ...e }) => e),
      audit: audit.map(({ seq: _s, prevHash: _p, hash, ...a }) => ({
        ...a,
        revisionId: set.revision ?? a.revisionId,
        detail: { ...(a.detail ?? {}), nodeSeq: _s, nodeHash: hash },
      })),
      dropped: 0,
    };
    return {
      batch,
      commit: async () => {
        this.cursor = next;
        await store.putMeta(CURSOR_KEY, JSON.stringify(next));
      },
    };
  }
}
