/** One-shot runs: plan, apply (after admission: errors and blast radius), drift, and the state lock. */
import { createHash } from 'node:crypto';
import type { ApplyHooks, ApplyReport, DriftReport, Planned, PlanRequest } from '../engine/index.js';
import { acquireStateLock, type HeldLock } from '../store/lock.js';
import { SECRET_UNRESOLVED } from '../engine/observe.js';
import { changeDigest } from '../engine/recorder.js';
import { recordViolations } from '../engine/violations.js';
import { SetpointError } from '../errors.js';
import type { Action } from '../plan/index.js';
import { redactor } from '../secrets/index.js';
import type { ApiContext } from './context.js';
import { sourcesDesired } from './sources.js';
import { windowGate } from './windows.js';
import { budgetGateNow } from './budgets.js';
import { annotateHolds } from './holds.js';
import { unplacedDiagnostics } from './fleet.js';

export type PlanOptions = Omit<PlanRequest, 'paths'> & { paths?: readonly string[] };
export type ApplyOptions = {
  parallelism?: number;
  signal?: AbortSignal;
  overrideWindow?: boolean;
} & ApplyHooks;

export async function plan(ctx: ApiContext, request: PlanOptions): Promise<Planned> {
  const planned = await (
    await ctx.engine()
  ).plan({
    ...request,
    paths: ctx.manifestPaths(request.paths),
    ...(await sourcesDesired(ctx, request.paths)),
  });
  // Resources for nodes that no enrolled node selects: a warning each (already there when admission added it).
  const seen = new Set(planned.plan.diagnostics.map((d) => `${d.code} ${d.resourceId}`));
  for (const w of await unplacedDiagnostics(ctx, planned.desired))
    if (!seen.has(`${w.code} ${w.resourceId}`)) planned.plan.diagnostics.push(w);
  // What a change window, an exhausted error budget or a rollout step would hold back if this plan were applied now.
  annotateHolds(planned, {
    windows: windowGate(ctx.settings),
    budget: await budgetGateNow(ctx),
    rollouts: ctx.settings.rollouts.length ? await (await ctx.store()).listRollouts({ active: true }) : [],
  });
  return planned;
}

export async function drift(ctx: ApiContext, request: PlanOptions): Promise<DriftReport> {
  return (await ctx.engine()).drift({
    ...request,
    paths: ctx.manifestPaths(request.paths),
    ...(await sourcesDesired(ctx, request.paths)),
  });
}

/** Holds the state lock for a mutating run. */
export async function lock(ctx: ApiContext, timeoutMs = 0, what = 'apply'): Promise<HeldLock> {
  return acquireStateLock(await ctx.store(), { timeoutMs, what, actor: ctx.actor });
}

export async function apply(
  ctx: ApiContext,
  planned: Planned,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  await admitPlan(ctx, planned);
  await recordPlanViolations(ctx, planned, false);
  return (await ctx.engine()).apply(planned, {
    ...options,
    windows: windowGate(ctx.settings),
    budget: await budgetGateNow(ctx),
  });
}

/** Records the policy verdicts on a plan's desired state, once: when it is applied, or refused (each blocking deny is audited). */
async function recordPlanViolations(ctx: ApiContext, planned: Planned, refused: boolean): Promise<void> {
  await recordViolations(
    planned.desired.violations,
    { revisionId: planned.revision.id, blocked: refused },
    {
      store: await ctx.store(),
      audit: async ({ action, ...fields }) => void (await ctx.audit(action, fields)),
    },
  );
}

/**
 * Refuses a plan that cannot be applied — it has errors (preventDestroy, a
 * missing secret, a bad manifest), or deletes more than
 * reconcile.maxDeletesPerRun — with a SetpointError and an `apply.refuse`
 * audit entry. `apply` calls it; the CLI also calls it before asking for
 * confirmation.
 */
export async function admitPlan(ctx: ApiContext, planned: Planned): Promise<void> {
  const { plan } = planned;
  // A resource whose secret does not resolve is unknown to plan and drift, and cannot be applied.
  const diagnostics = plan.diagnostics.map((d) =>
    d.code === SECRET_UNRESOLVED ? { ...d, severity: 'error' as const } : d,
  );
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const max = ctx.settings.reconcile.maxDeletesPerRun;
  let refusal: SetpointError | undefined;
  if (errors.length > 0)
    refusal = new SetpointError(
      'the plan has errors; nothing was applied',
      'SETPOINT_PLAN_INVALID',
      undefined,
      diagnostics,
    );
  else if (max !== undefined && plan.summary.delete > max)
    refusal = new SetpointError(
      `the plan deletes ${plan.summary.delete} resources, more than reconcile.maxDeletesPerRun (${max}); nothing was applied`,
      'SETPOINT_BLAST_RADIUS',
      'check the plan; raise maxDeletesPerRun in setpoint.yaml, or apply with --target in smaller steps',
    );
  if (!refusal) return;
  await recordPlanViolations(ctx, planned, true);
  const resources = [
    ...new Set(errors.map((d) => d.resourceId).filter((id): id is string => id !== undefined)),
  ];
  await ctx.audit('apply.refuse', {
    resourceId: resources.length === 1 ? resources[0] : undefined,
    revisionId: planned.revision.id,
    diffDigest: planDigest(plan.actions),
    result: 'refused',
    detail: redactor.redactValue({
      code: refusal.code,
      message: refusal.message,
      problems: errors.map((d) => d.summary).slice(0, 10),
      resources: resources.slice(0, 20),
    }),
  });
  throw refusal;
}

/** Digest of what a plan would change: each action's id, operation and change digest. */
function planDigest(actions: readonly Action[]): string {
  const h = createHash('sha256');
  for (const a of actions) if (a.op !== 'noop') h.update(`${a.id}\n${a.op}\n${changeDigest(a.changes)}\n`);
  return h.digest('hex');
}
