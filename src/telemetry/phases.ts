/**
 * Phase timings of a reconcile: observe, diff, plan, act, verify. Each
 * phase is timed where the engine runs it, into the current reconcile
 * context when it collects phases (serve's controller stores them as the
 * resource's reconcile spans), and becomes a child span when tracing
 * exports spans. Outside such a reconcile (one-shot plan, describe) the
 * function runs as it is.
 */
import { VERSION } from '../version.js';
import { currentReconcile, type PhaseTiming } from './context.js';
import { otel, tracingEnabled } from './trace.js';

export type PhaseName = PhaseTiming['name'];

/** Runs an async phase of the current reconcile, timed. */
export async function phase<T>(name: PhaseName, fn: () => Promise<T>): Promise<T> {
  const ctx = currentReconcile();
  if (!ctx?.phases) return fn();
  const phases = ctx.phases;
  const origin = ctx.startedAt ?? performance.now();
  const start = performance.now();
  const timed = async (): Promise<T> => {
    let error: string | undefined;
    try {
      return await fn();
    } catch (err) {
      error = (err as Error).message;
      throw err;
    } finally {
      phases.push(timing(name, start, origin, error));
    }
  };
  if (!tracingEnabled() || !ctx.span) return timed();
  return otel()
    .trace.getTracer('setpoint', VERSION)
    .startActiveSpan(`setpoint.phase.${name}`, async (span) => {
      try {
        return await timed();
      } catch (err) {
        span.setStatus({ code: otel().SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
}

/** Runs a synchronous phase (diff, plan: pure functions) of the current reconcile, timed. */
export function phaseSync<T>(name: PhaseName, fn: () => T): T {
  const ctx = currentReconcile();
  if (!ctx?.phases) return fn();
  const start = performance.now();
  let error: string | undefined;
  try {
    return fn();
  } catch (err) {
    error = (err as Error).message;
    throw err;
  } finally {
    ctx.phases.push(timing(name, start, ctx.startedAt ?? start, error));
  }
}

function timing(name: PhaseName, start: number, origin: number, error: string | undefined): PhaseTiming {
  const end = performance.now();
  const t: PhaseTiming = { name, startMs: round(start - origin), durationMs: round(end - start) };
  if (error !== undefined) t.error = error;
  return t;
}

/** Microsecond precision is plenty, and keeps the stored JSON short. */
const round = (ms: number) => Math.round(ms * 1000) / 1000;
