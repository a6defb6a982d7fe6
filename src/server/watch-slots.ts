/**
 * Open watch streams, bounded per token and in all: each stream holds a
 * connection, a subscription and a message queue for as long as it runs.
 */
import { HttpError } from './errors.js';

export class WatchSlots {
  private readonly perToken = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxPerToken: number,
    readonly maxTotal: number,
  ) {}

  get open(): number {
    return this.total;
  }

  /** Takes a slot for `token` (its name) and returns its release (idempotent); throws 429 or 503 when none is free. */
  take(token: string): () => void {
    const mine = this.perToken.get(token) ?? 0;
    if (mine >= this.maxPerToken)
      throw new HttpError(
        429,
        'SETPOINT_TOO_MANY_WATCHES',
        `token ${token} already has ${mine} watch streams open (at most ${this.maxPerToken} per token)`,
        'close a watch stream first, or share one stream between readers',
        { 'Retry-After': '5' },
      );
    if (this.total >= this.maxTotal)
      throw new HttpError(
        503,
        'SETPOINT_BUSY',
        `the server already has ${this.total} watch streams open (at most ${this.maxTotal})`,
        'retry later',
        { 'Retry-After': '5' },
      );
    this.perToken.set(token, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perToken.get(token) ?? 1) - 1;
      if (left > 0) this.perToken.set(token, left);
      else this.perToken.delete(token);
    };
  }
}
