/**
 * Failed authentication, rate limited per client address: each address has a
 * bucket of `burst` failures that refills at `perMinute`. While an address's
 * bucket is empty, every request from it that needs a token is answered 429
 * (with Retry-After) before its token is even looked at, so guessing tokens
 * gains nothing.
 */
export interface FailureLimiterOptions {
  /** Failures allowed in a row. Defaults to 10. */
  burst?: number;
  /** Failures forgiven per minute. Defaults to 10. */
  perMinute?: number;
  /** Addresses tracked at most; the oldest are forgotten beyond. Defaults to 10,000. */
  maxAddresses?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  stamp: number;
}

export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: FailureLimiterOptions = {}) {
    this.burst = options.burst ?? 10;
    this.perMs = (options.perMinute ?? 10) / 60_000;
    this.max = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfter(address: string): number {
    const b = this.refill(address);
    if (!b || b.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Counts one failure of the address. */
  fail(address: string): void {
    const b = this.refill(address) ?? { tokens: this.burst, stamp: this.now() };
    b.tokens = Math.max(0, b.tokens - 1);
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > this.max) this.buckets.delete(this.buckets.keys().next().value!);
  }

  private refill(address: string): Bucket | undefined {
    const b = this.buckets.get(address);
    if (!b) return undefined;
    const now = this.now();
    b.tokens = Math.min(this.burst, b.tokens + (now - b.stamp) * this.perMs);
    b.stamp = now;
    if (b.tokens >= this.burst) {
      this.buckets.delete(address);
      return undefined;
    }
    return b;
  }
}
