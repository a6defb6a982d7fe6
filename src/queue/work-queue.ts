/**
 * The controller's work queue, after client-go's workqueue: a key is handed to
 * one worker at a time, adds of a queued key coalesce, an add of a key being
 * processed re-queues it once when it is done, failures come back after a
 * per-key exponential backoff, and lower priority numbers are served first
 * (FIFO within a priority). README.md states the contract.
 */
import { backoffDelay } from './backoff.js';
import { checkDelay, checkPriority, guarded } from './errors.js';
import { Heap, type HeapEntry } from './heap.js';
import {
  withDefaults,
  type AddOptions,
  type AddOutcome,
  type ResolvedWorkQueueOptions,
  type WorkQueueHooks,
  type WorkQueueOptions,
} from './options.js';

/** What `get` hands a worker. */
export interface QueueItem<K extends string = string> {
  key: K;
  priority: number;
  /** Since the first add that queued the key (for a dirty re-add: the first add while it was processing). */
  waitedMs: number;
}

interface Entry<K> extends HeapEntry {
  key: K;
  priority: number;
  /** Arrival order, for FIFO within a priority. */
  seq: number;
  addedAt: number;
}

interface Dirty {
  priority: number;
  addedAt: number;
}

interface Delayed {
  readyAt: number;
  priority: number;
  timer: NodeJS.Timeout;
}

/** setTimeout's largest delay (about 24.8 days); longer delays are shortened to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue<K extends string = string> {
  private readonly settings: ResolvedWorkQueueOptions;
  private readonly hooks: WorkQueueHooks<K>;
  private readonly ready = new Heap<Entry<K>>(
    (a, b) => a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq),
  );
  /** Keys waiting to be handed out; never also in `active`. */
  private readonly queued = new Map<K, Entry<K>>();
  /** Keys handed out and not yet done, with when they were handed out. */
  private readonly active = new Map<K, number>();
  /** Keys added while active: re-queued once on `done`. A subset of `active`. */
  private readonly dirty = new Map<K, Dirty>();
  private readonly delayed = new Map<K, Delayed>();
  private readonly failureCounts = new Map<K, number>();
  /** Pending `get`s, oldest first. Non-empty only while nothing is queued. */
  private readonly waiters: Array<(item: QueueItem<K> | undefined) => void> = [];
  private readonly drainers: Array<() => void> = [];
  private seq = 0;
  private stopped = false;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.settings = withDefaults(options);
    this.hooks = options;
  }

  /**
   * Queues `key`. A key already queued is not queued twice: it keeps its place
   * and takes the better (lower) priority. A key being processed is marked
   * dirty and queued once more when its worker calls `done`. Ignored after
   * `shutDown`.
   */
  add(key: K, options: AddOptions = {}): void {
    const priority = checkPriority(key, options.priority);
    if (this.stopped) return;
    const now = this.settings.now();
    let outcome: AddOutcome = 'coalesced';
    const entry = this.queued.get(key);
    if (entry) {
      if (priority < entry.priority) {
        entry.priority = priority;
        this.ready.improved(entry);
      }
    } else if (this.active.has(key)) {
      const mark = this.dirty.get(key);
      if (mark) mark.priority = Math.min(mark.priority, priority);
      else {
        this.dirty.set(key, { priority, addedAt: now });
        outcome = 'dirty';
      }
    } else {
      this.enqueue(key, priority, now);
      outcome = 'queued';
    }
    if (this.hooks.onAdd) guarded(key, () => this.hooks.onAdd?.(key, priority, outcome));
    this.dispatch();
  }

  /**
   * Adds `key` after `delayMs` on an unref'd timer (a pending retry does not
   * keep the process alive). While a delayed add of the key is pending, the
   * earlier of the two fire times wins and the better priority is kept.
   * A delay of 0 or less adds at once. An `add` does not cancel a pending
   * delayed add: the key is then processed again later, which a level-based
   * reconciler tolerates.
   */
  addAfter(key: K, delayMs: number, options: AddOptions = {}): void {
    const priority = checkPriority(key, options.priority);
    checkDelay(key, delayMs);
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key, { priority });
    const waitMs = Math.min(delayMs, MAX_TIMER_MS);
    const readyAt = this.settings.now() + waitMs;
    const pending = this.delayed.get(key);
    if (pending) {
      pending.priority = Math.min(pending.priority, priority);
      if (pending.readyAt <= readyAt) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => this.fire(key), waitMs);
    timer.unref();
    this.delayed.set(key, { readyAt, priority: pending?.priority ?? priority, timer });
  }

  /**
   * Adds `key` after its backoff: `backoffDelay(failures(key))`, then counts
   * one more failure. The count grows until `forget(key)`.
   */
  addRateLimited(key: K, options: AddOptions = {}): void {
    checkPriority(key, options.priority);
    if (this.stopped) return;
    const failures = this.failureCounts.get(key) ?? 0;
    const delayMs = backoffDelay(failures, this.settings);
    this.failureCounts.set(key, failures + 1);
    if (this.hooks.onRetry) guarded(key, () => this.hooks.onRetry?.(key, failures + 1, delayMs));
    this.addAfter(key, delayMs, options);
  }

  /** Resets the failure count of `key` (after a success), so its next backoff starts from the base delay. */
  forget(key: K): void {
    this.failureCounts.delete(key);
  }

  /** How many rate-limited adds `key` had since it was last forgotten. */
  failures(key: K): number {
    return this.failureCounts.get(key) ?? 0;
  }

  /**
   * The next key, once one is queued: the lowest priority number, oldest first.
   * The key is the caller's until it calls `done(key)`; no other `get` returns
   * it meanwhile. Resolves undefined after `shutDown`, or when `signal` aborts.
   */
  get(signal?: AbortSignal): Promise<QueueItem<K> | undefined> {
    if (this.stopped || signal?.aborted) return Promise.resolve(undefined);
    if (this.ready.size > 0) return Promise.resolve(this.handOut());
    return new Promise((resolve) => {
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(undefined);
      };
      const waiter = (item: QueueItem<K> | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(item);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Ends the processing of `key`. If it was added meanwhile, it is queued again
   * (once, with the best priority of those adds). A key not being processed is
   * ignored.
   */
  done(key: K): void {
    const startedAt = this.active.get(key);
    if (startedAt === undefined) return;
    this.active.delete(key);
    const mark = this.dirty.get(key);
    if (mark) {
      this.dirty.delete(key);
      if (!this.stopped) this.enqueue(key, mark.priority, mark.addedAt);
    }
    if (this.hooks.onDone) {
      const workedMs = Math.max(0, this.settings.now() - startedAt);
      guarded(key, () => this.hooks.onDone?.(key, workedMs));
    }
    this.dispatch();
    if (this.active.size === 0) for (const resolve of this.drainers.splice(0)) resolve();
  }

  /** Keys waiting to be handed out. */
  len(): number {
    return this.queued.size;
  }

  /** Keys handed out and not yet done. */
  processing(): number {
    return this.active.size;
  }

  isShuttingDown(): boolean {
    return this.stopped;
  }

  /**
   * Stops the queue: pending and later `get`s resolve undefined, queued keys,
   * dirty marks and pending delayed adds are dropped, later adds are ignored.
   * Keys being processed stay so until `done`. Idempotent.
   */
  shutDown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ready.clear();
    this.queued.clear();
    this.dirty.clear();
    for (const pending of this.delayed.values()) clearTimeout(pending.timer);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /**
   * The graceful stop: shuts the queue down (no more work is taken) and
   * resolves once every key being processed is done, or when `signal` aborts
   * (a deadline); `processing()` then tells which.
   */
  drain(signal?: AbortSignal): Promise<void> {
    this.shutDown();
    if (this.active.size === 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => {
        const at = this.drainers.indexOf(drainer);
        if (at >= 0) this.drainers.splice(at, 1);
        resolve();
      };
      const drainer = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.drainers.push(drainer);
    });
  }

  private enqueue(key: K, priority: number, addedAt: number): void {
    const entry: Entry<K> = { key, priority, seq: this.seq++, addedAt, heapIndex: -1 };
    this.queued.set(key, entry);
    this.ready.push(entry);
  }

  private fire(key: K): void {
    const pending = this.delayed.get(key);
    if (!pending) return;
    this.delayed.delete(key);
    this.add(key, { priority: pending.priority });
  }

  /** Hands queued keys to waiting `get`s, oldest waiter first. */
  private dispatch(): void {
    while (this.waiters.length > 0 && this.ready.size > 0) {
      const waiter = this.waiters.shift() as (item: QueueItem<K> | undefined) => void;
      waiter(this.handOut());
    }
  }

  /** Moves the first queued key to processing. The caller makes sure one is queued. */
  private handOut(): QueueItem<K> {
    const entry = this.ready.pop() as Entry<K>;
    this.queued.delete(entry.key);
    const now = this.settings.now();
    this.active.set(entry.key, now);
    const item = { key: entry.key, priority: entry.priority, waitedMs: Math.max(0, now - entry.addedAt) };
    if (this.hooks.onGet) guarded(item.key, () => this.hooks.onGet?.(item.key, item.waitedMs));
    return item;
  }
}
