/**
 * Fetch health of each polled source (Git): when it was last fetched
 * successfully and how many fetches failed, as metrics
 * (`setpoint_source_last_success_timestamp_seconds`,
 * `setpoint_source_fetch_failures_total`,
 * `setpoint_source_fetch_interval_seconds`) and as state the built-in
 * SourceStale alert reads. A source is stale when it has not been fetched
 * successfully for 3 of its intervals; a source never fetched successfully
 * counts from when serve began polling it.
 */
import type { Counter, Gauge } from 'prom-client';

/** A source serve polls, and how often. */
export interface PolledSource {
  name: string;
  intervalMs: number;
}

export interface SourceFetchHealth {
  source: string;
  /** How often it is polled; undefined for a source fetched only on demand (never stale). */
  intervalMs?: number;
  /** When serve began polling it (epoch ms). */
  since: number;
  lastSuccessAt?: number;
  lastFailureAt?: number;
  /** Failed fetches since the last successful one. */
  failuresInARow: number;
  lastError?: string;
}

/** Polling intervals without a successful fetch after which a source is stale. */
export const STALE_INTERVALS = 3;

export interface SourceHealthMetrics {
  lastSuccess: Gauge<'source'>;
  failures: Counter<'source'>;
  interval: Gauge<'source'>;
}

export class SourceHealth {
  private readonly bySource = new Map<string, SourceFetchHealth>();

  constructor(private readonly metrics: SourceHealthMetrics) {}

  /** Starts tracking polled sources: their series appear at 0 (last success 0 = none yet). */
  watch(sources: readonly PolledSource[], now = Date.now()): void {
    for (const s of sources) {
      const h = this.entry(s.name, now);
      h.intervalMs = s.intervalMs;
      this.metrics.interval.set({ source: s.name }, s.intervalMs / 1000);
    }
  }

  /** Records one fetch of `source`: a success moves the last-success time, a failure counts. */
  fetched(source: string, ok: boolean, error?: unknown, at = Date.now()): void {
    const h = this.entry(source, at);
    if (ok) {
      h.lastSuccessAt = at;
      h.failuresInARow = 0;
      h.lastError = undefined;
      this.metrics.lastSuccess.set({ source }, at / 1000);
    } else {
      h.lastFailureAt = at;
      h.failuresInARow++;
      h.lastError = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
      this.metrics.failures.inc({ source });
    }
  }

  list(): SourceFetchHealth[] {
    return [...this.bySource.values()].map((h) => ({ ...h }));
  }

  private entry(source: string, now: number): SourceFetchHealth {
    let h = this.bySource.get(source);
    if (!h) {
      h = { source, since: now, failuresInARow: 0 };
      this.bySource.set(source, h);
      this.metrics.failures.inc({ source }, 0);
      this.metrics.lastSuccess.set({ source }, 0);
    }
    return h;
  }
}

/** How long `h` has gone without a successful fetch, when that is STALE_INTERVALS of its interval or more. */
export function staleFor(h: SourceFetchHealth, now: number): number | undefined {
  if (h.intervalMs === undefined) return undefined;
  const ms = now - (h.lastSuccessAt ?? h.since);
  return ms >= STALE_INTERVALS * h.intervalMs ? ms : undefined;
}
