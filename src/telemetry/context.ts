/**
 * The reconcile in progress, carried through async calls (AsyncLocalStorage):
 * the controller opens it with the resource id and a reconcile id, the
 * reconciler adds the revision and the planned action. Log lines written
 * inside it carry these ids without every call site passing them (see the
 * logger's mixin), and the reconcile's span gets them as attributes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from '@opentelemetry/api';

export interface ReconcileContext {
  reconcileId: string;
  resourceId: string;
  revisionId?: string;
  /** The planned action: noop | create | update | replace | delete. */
  action?: string;
  /** The reconcile's span, when tracing is on. */
  span?: Span;
  /** Phase timings, when the caller collects them (serve's reconciles: see phases.ts). */
  phases?: PhaseTiming[];
  /** performance.now() at the start, the origin of the phases' startMs. */
  startedAt?: number;
  /** Why the reconcile failed (error and terminal outcomes). */
  error?: string;
}

/** One timed phase of a reconcile. */
export interface PhaseTiming {
  name: 'observe' | 'diff' | 'plan' | 'act' | 'verify';
  /** Milliseconds from the start of the reconcile. */
  startMs: number;
  durationMs: number;
  /** The phase threw: its message. */
  error?: string;
}

const storage = new AsyncLocalStorage<ReconcileContext>();

/** Runs `fn` with `ctx` as the current reconcile. */
export function runInReconcile<T>(ctx: ReconcileContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The reconcile this code runs in, if any. */
export function currentReconcile(): ReconcileContext | undefined {
  return storage.getStore();
}
