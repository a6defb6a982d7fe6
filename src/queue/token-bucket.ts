/**
 * A global rate limit on actions: `rate` tokens per second refill a bucket of
 * `burst` tokens continuously, and each action takes one. Waiters are served
 * first come, first served, by one timer set for the moment the next token is
 * due: no polling.
 */
import { checkOption } from './errors.js';

export interface TokenBucketOptions {
  /** Tokens added per second, continuously (fractions allowed). Defaults to 50. */
  rate?: number;
  /** Most tokens held at once: how many actions may start together after a quiet spell. The bucket starts full. Defaults to 100. */
  burst?: number;
  /** Monotonic clock in ms. Defaults to performance.now. */
  now?: () => number;
}

/** setTimeout's largest delay; a longer wait is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function tokenBucketWithDefaults(options: TokenBucketOptions = {}): Required<TokenBucketOptions> {
  return {
    rate: checkOption('token bucket', 'rate', options.rate ?? 50, Number.MIN_VALUE),
    burst: checkOption('token bucket', 'burst', options.burst ?? 100, 1),
    now: options.now ?? (() => performance.now()),
  };
}

interface Waiter {
  resolve(): void;
}

export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private stamp: number;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(options: TokenBucketOptions = {}) {
    const resolved = tokenBucketWithDefaults(options);
    this.rate = resolved.rate;
    this.burst = resolved.burst;
    this.now = resolved.now;
    this.tokens = this.burst;
    this.stamp = this.now();
  }

  /**
   * Takes a token if one is available now and nobody is waiting (a caller
   * that tries does not overtake one that waits).
   */
  tryTake(): boolean {
    if (this.waiters.length > 0) return false;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Resolves once the caller holds a token, after those already waiting.
   * Rejects with `signal.reason` when `signal` aborts first; no token is taken
   * then. The timer is not unref'd: a pending `take` is work in progress and
   * keeps the process alive.
   */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        this.schedule();
        reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  /** Tokens in the bucket now, fractional. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Callers waiting in `take`. */
  waiting(): number {
    return this.waiters.length;
  }

  private refill(): void {
    const now = this.now();
    const elapsedMs = Math.max(0, now - this.stamp);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.rate) / 1000);
    this.stamp = now;
  }

  /** Arms the one timer for the next token while someone waits; disarms it when nobody does. */
  private schedule(): void {
    if (this.waiters.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer) return;
    this.refill();
    const dueMs = Math.ceil(((1 - this.tokens) * 1000) / this.rate);
    this.timer = setTimeout(() => this.serve(), Math.min(MAX_TIMER_MS, Math.max(1, dueMs)));
  }

  private serve(): void {
    this.timer = undefined;
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      (this.waiters.shift() as Waiter).resolve();
    }
    this.schedule();
  }
}
