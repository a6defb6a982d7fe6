/**
 * Where check results go besides the resource's status: serve subscribes to
 * turn them into metrics (latency histogram, up gauge). A listener that
 * throws is ignored: metrics never break a check.
 */
import type { CheckResult } from './check.js';

export interface CheckReport {
  id: string;
  result: CheckResult;
  ok: boolean;
}

const listeners = new Set<(report: CheckReport) => void>();

/** Calls `listener` after every check in this process; returns the unsubscribe function. */
export function onHttpCheck(listener: (report: CheckReport) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportCheck(report: CheckReport): void {
  for (const l of listeners) {
    try {
      l(report);
    } catch {
      // metrics only
    }
  }
}
