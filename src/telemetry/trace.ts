/**
 * Spans for reconciles and provider calls (OpenTelemetry API). Off by default:
 * until `startTracing` (./tracing.ts) turns it on, every helper here calls the
 * wrapped function directly, so an untraced run pays one boolean check per
 * call. Attribute names are `setpoint.*`.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { lazy } from '../util/lazy.js';
import { VERSION } from '../version.js';
import { currentReconcile, runInReconcile, type ReconcileContext } from './context.js';

export const ATTR = {
  resourceId: 'setpoint.resource.id',
  resourceKind: 'setpoint.resource.kind',
  revisionId: 'setpoint.revision.id',
  action: 'setpoint.action',
  result: 'setpoint.result',
  reconcileId: 'setpoint.reconcile.id',
  operation: 'setpoint.provider.operation',
} as const;

/**
 * The OpenTelemetry API, loaded on first use: an untraced run (every one-shot
 * command) never pays for evaluating it.
 */
export const otel = lazy<typeof import('@opentelemetry/api')>('@opentelemetry/api');

/**
 * Whether an OpenTelemetry API is set up in this process (setpoint's tracing,
 * or an SDK the embedding program registered): without one no span can be
 * active, so there is no need to load the API to ask.
 */
export function otelInUse(): boolean {
  return (
    enabled || (globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')] !== undefined
  );
}

let enabled = false;

/** Turns span creation on or off (tracing.ts does it when an exporter is configured). */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

function tracer() {
  return otel().trace.getTracer('setpoint', VERSION);
}

/**
 * Runs one reconcile of `ctx.resourceId` as the current reconcile context
 * and, when tracing is on, inside a `setpoint.reconcile` span. `fn` returns
 * the outcome label (noop, applied, error...), recorded as `setpoint.result`;
 * error and terminal mark the span as failed.
 */
export async function traceReconcile(ctx: ReconcileContext, fn: () => Promise<string>): Promise<string> {
  if (!enabled) return runInReconcile(ctx, fn);
  const attributes: Attributes = {
    [ATTR.resourceId]: ctx.resourceId,
    [ATTR.reconcileId]: ctx.reconcileId,
    [ATTR.resourceKind]: ctx.resourceId.split('/')[0],
  };
  return tracer().startActiveSpan('setpoint.reconcile', { attributes }, (span) => {
    // The caller's context object itself: it reads the revision, action and span back afterwards.
    ctx.span = span;
    return runInReconcile(ctx, async () => {
      let label = 'error';
      try {
        label = await fn();
        return label;
      } catch (err) {
        span.recordException(err as Error);
        throw err;
      } finally {
        span.setAttribute(ATTR.result, label);
        if (label === 'error' || label === 'terminal')
          span.setStatus({ code: otel().SpanStatusCode.ERROR, message: label });
        span.end();
      }
    });
  });
}

/** Adds the revision and the planned action to the current reconcile (its log lines and its span). */
export function annotateReconcile(fields: { revisionId?: string; action?: string }): void {
  const ctx = currentReconcile();
  if (!ctx) return;
  if (fields.revisionId !== undefined) ctx.revisionId = fields.revisionId;
  if (fields.action !== undefined) ctx.action = fields.action;
  if (!ctx.span) return;
  if (fields.revisionId !== undefined) ctx.span.setAttribute(ATTR.revisionId, fields.revisionId);
  if (fields.action !== undefined) ctx.span.setAttribute(ATTR.action, fields.action);
}

/**
 * One provider call (resolve, observe, apply, destroy) as a child span of the
 * reconcile in progress. Calls outside a traced reconcile (admission checks,
 * one-shot commands) are not traced. Errors are recorded and rethrown; the
 * span ends either way.
 */
export async function traceProviderCall<T>(
  operation: string,
  resource: { id: string; key: { kind: string } },
  fn: () => Promise<T> | T,
): Promise<T> {
  const ctx = enabled ? currentReconcile() : undefined;
  if (!ctx?.span) return fn();
  const attributes: Attributes = {
    [ATTR.resourceId]: resource.id,
    [ATTR.resourceKind]: resource.key.kind,
    [ATTR.operation]: operation,
  };
  if (ctx.revisionId) attributes[ATTR.revisionId] = ctx.revisionId;
  attributes[ATTR.reconcileId] = ctx.reconcileId;
  return tracer().startActiveSpan(`setpoint.provider.${operation}`, { attributes }, async (span: Span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: otel().SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
