/**
 * Whether `serve` may act, and why not. Each problem that stops it from
 * acting safely is a condition with a reason (the state cannot be written,
 * the state file is gone, an uncaught error); while any holds, /readyz says
 * 503 with the reasons, the `setpoint_serve_degraded` gauge is 1 for each,
 * and the controller's workers wait (reads, probes and the API go on). Each
 * condition is cleared by whoever raised it, once it is over.
 */
import { Gauge, type Registry } from 'prom-client';

/** Why serve is not acting. A closed set: a gauge label and a readiness reason. */
export type DegradedReason = 'state-unwritable' | 'state-lost' | 'lock-lost' | 'internal-error';

export const DEGRADED_REASONS: readonly DegradedReason[] = [
  'state-unwritable',
  'state-lost',
  'lock-lost',
  'internal-error',
];

export interface Degradation {
  reason: DegradedReason;
  /** What happened, with the path and the cause. */
  message: string;
  since: string;
}

export class ServeHealth {
  private readonly conditions = new Map<DegradedReason, Degradation>();
  private waiters: Array<() => void> = [];
  private readonly listeners = new Set<(d: Degradation, raised: boolean) => void>();
  private gauge: Gauge | undefined;

  /** Exposes `setpoint_serve_degraded{reason}` (0 or 1 for every reason, from the first scrape). */
  register(registry: Registry): void {
    this.gauge = new Gauge({
      name: 'setpoint_serve_degraded',
      help: 'Whether serve has stopped acting, by reason (state-unwritable, state-lost, lock-lost, internal-error).',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of DEGRADED_REASONS) this.gauge.set({ reason }, this.conditions.has(reason) ? 1 : 0);
  }

  /** Raises (or updates the message of) a condition; returns true when it is new. */
  degrade(reason: DegradedReason, message: string): boolean {
    const existing = this.conditions.get(reason);
    if (existing) {
      existing.message = message;
      return false;
    }
    const d: Degradation = { reason, message, since: new Date().toISOString() };
    this.conditions.set(reason, d);
    this.gauge?.set({ reason }, 1);
    for (const l of this.listeners) l(d, true);
    return true;
  }

  /** Clears a condition; returns true when it held. */
  recover(reason: DegradedReason): boolean {
    const d = this.conditions.get(reason);
    if (!d) return false;
    this.conditions.delete(reason);
    this.gauge?.set({ reason }, 0);
    for (const l of this.listeners) l(d, false);
    if (this.conditions.size === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
    return true;
  }

  has(reason: DegradedReason): boolean {
    return this.conditions.has(reason);
  }

  get healthy(): boolean {
    return this.conditions.size === 0;
  }

  /** The conditions holding now, oldest first. */
  list(): Degradation[] {
    return [...this.conditions.values()];
  }

  /** Called when a condition is raised (`raised` true) or cleared. */
  onChange(listener: (d: Degradation, raised: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once no condition holds, or when `signal` aborts. */
  whenHealthy(signal?: AbortSignal): Promise<void> {
    if (this.healthy || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
