/**
 * Options of the work queue, and `withDefaults`, which applies every default
 * in one place.
 */
import { backoffWithDefaults, type BackoffOptions } from './backoff.js';

/**
 * What an add did: `queued` made a new entry, `dirty` marked a key that is
 * being processed to run once more after `done`, `coalesced` merged into an
 * entry or a mark that already existed (no new work).
 */
export type AddOutcome = 'queued' | 'dirty' | 'coalesced';

export interface AddOptions {
  /** Lower numbers are served first; FIFO within a priority. Any finite number. Defaults to 0. */
  priority?: number;
}

/**
 * Called as keys move through the queue, so the caller can feed metrics
 * (depth from `len()`, wait, work duration, retries). Hooks run synchronously
 * after the queue's state is updated and must not throw: an error thrown by a
 * hook is reported with `process.emitWarning` and otherwise ignored, so a
 * metrics bug cannot wedge the queue.
 */
export interface WorkQueueHooks<K extends string = string> {
  /** A key reached the queue: at once for `add`, after the delay for `addAfter` and `addRateLimited`. */
  onAdd?(key: K, priority: number, outcome: AddOutcome): void;
  /** A key was handed to a worker after waiting `waitedMs` since the first add that queued it. */
  onGet?(key: K, waitedMs: number): void;
  /** A worker called `done` after holding the key for `workedMs`. */
  onDone?(key: K, workedMs: number): void;
  /** `addRateLimited` scheduled retry number `failures` in `delayMs`. */
  onRetry?(key: K, failures: number, delayMs: number): void;
}

export interface WorkQueueOptions<K extends string = string> extends BackoffOptions, WorkQueueHooks<K> {
  /**
   * Clock in ms, read for `waitedMs`, `workedMs` and to compare delayed adds.
   * Delays themselves run on real timers. Defaults to Date.now.
   */
  now?: () => number;
}

/** The settings with their defaults applied. Hooks are not copied: they are called on the options object itself. */
export type ResolvedWorkQueueOptions = Required<BackoffOptions> & { now: () => number };

export function withDefaults(
  options: BackoffOptions & { now?: () => number } = {},
): ResolvedWorkQueueOptions {
  return { ...backoffWithDefaults(options), now: options.now ?? Date.now };
}
