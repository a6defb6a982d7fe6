/**
 * Goals as desired state. A Target declares a measure (Prometheus, SQL, HTTP
 * JSON or a command), a direction and a threshold; an Objective groups key
 * results and is met when all are. Both are observe-only: a goal behind is
 * drift that is reported and alerted (its owner), never fixed — unless the
 * goal names a `remediation`, which then runs under the resource's
 * remediation policy (auto runs it, approve asks first, alert only alerts).
 *
 * Each reading is kept as a sample in the kind's work folder; the trend over
 * the review period comes from them. Under `serve`, each goal is read again
 * every `interval` (its watch), besides the periodic resync.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx, Disposable, Provider } from '../../provider/types.js';
import { describeCommand, runCommand } from '../../util/command.js';
import { parseDuration } from '../../util/duration.js';
import { operator } from './evaluate.js';
import { DEFAULT_INTERVAL_MS, observeGoals, summaryOf, type Goal, type GoalActual } from './goal.js';
import { ObjectiveSpecSchema, TargetSpecSchema, type ObjectiveSpec, type TargetSpec } from './spec.js';

export { TargetSpecSchema, ObjectiveSpecSchema } from './spec.js';
export type { TargetSpec, ObjectiveSpec } from './spec.js';
export type { GoalActual } from './goal.js';
export * from './evaluate.js';

type GoalSpec = TargetSpec | ObjectiveSpec;

function targetGoals(spec: TargetSpec): Goal[] {
  return [
    {
      key: '',
      field: 'spec.measure',
      measure: spec.measure,
      direction: spec.direction,
      threshold: spec.threshold,
      unit: spec.unit,
    },
  ];
}

function objectiveGoals(spec: ObjectiveSpec): Goal[] {
  return spec.keyResults.map((k, i) => ({
    key: k.name,
    field: `spec.keyResults.${i}.measure`,
    measure: k.measure,
    direction: k.direction,
    threshold: k.threshold,
    unit: k.unit,
  }));
}

/** A goal behind is one change per goal behind: the value against what it needs. */
function goalDiff(actual: GoalActual | undefined, prefix: (key: string) => string): Change[] {
  if (!actual) return [{ path: prefix(''), new: 'a reading' }];
  return Object.entries(actual.results)
    .filter(([, r]) => r.state === 'BehindTarget')
    .map(([key, r]) => ({ path: prefix(key), old: r.value, new: `${operator(r.direction)} ${r.threshold}` }));
}

function goalHealth(actual: GoalActual | undefined): {
  status: 'Healthy' | 'Degraded' | 'Missing';
  message: string;
} {
  if (!actual) return { status: 'Missing', message: 'not read yet' };
  return { status: actual.state === 'MeetsTarget' ? 'Healthy' : 'Degraded', message: summaryOf(actual) };
}

/** Re-reads each goal every `interval`: the watch of a goal is its clock. */
function intervalWatch(
  targets: ReadonlyArray<{ id: string; spec: GoalSpec }>,
  onChange: (id: string) => void,
): Disposable {
  const timers = targets.map((t) => {
    const ms =
      t.spec.interval === undefined ? DEFAULT_INTERVAL_MS : Math.max(100, parseDuration(t.spec.interval)!);
    const timer = setInterval(() => onChange(t.id), ms);
    timer.unref();
    return timer;
  });
  return { dispose: () => timers.forEach(clearInterval) };
}

/** Runs the goal's remediation; throws when it fails. */
async function remediate(spec: GoalSpec, ctx: Ctx): Promise<void> {
  const r = spec.remediation;
  if (!r)
    throw new ProviderError(
      `${ctx.id} is behind and has no remediation: it is reported, never fixed by setpoint`,
      {
        code: 'SETPOINT_OBSERVE_ONLY',
        hint: 'add spec.remediation, or act on the alert',
      },
    );
  const cwd = r.cwd ? (isAbsolute(r.cwd) ? r.cwd : resolvePath(ctx.baseDir, r.cwd)) : ctx.baseDir;
  const timeoutMs = r.timeout === undefined ? 300_000 : parseDuration(r.timeout)!;
  const res = await runCommand(r.run, { cwd, timeoutMs, signal: ctx.signal });
  const output = `${res.stdout}${res.stderr}`.trim().slice(-500);
  if (res.exitCode !== 0)
    throw new ProviderError(
      `remediation \`${describeCommand(r.run)}\` ${res.timedOut ? 'timed out' : `exited ${res.exitCode ?? res.signal}`}${output ? `: ${output}` : ''}`,
      { code: 'SETPOINT_TARGET_REMEDIATION_FAILED', field: 'spec.remediation.run' },
    );
  ctx.event('Normal', 'Remediated', `ran \`${describeCommand(r.run)}\`${output ? `: ${output}` : ''}`);
}

function goalProvider<S extends GoalSpec>(
  kind: string,
  description: string,
  schema: Provider<S, GoalActual>['schema'],
  goals: (spec: S) => Goal[],
  prefix: (key: string) => string,
): Provider<S, GoalActual> {
  return {
    kind,
    description,
    schema,
    concurrency: 8,
    observe: (spec, ctx) => observeGoals(goals(spec), spec, ctx),
    diff: (_spec, actual) => goalDiff(actual, prefix),
    canApply: (spec) => spec.remediation !== undefined,
    /** Runs the remediation, then reads the goal again; after a failure nothing was undone (a command cannot be). */
    async apply(spec, _actual, ctx) {
      await remediate(spec, ctx);
      return observeGoals(goals(spec), spec, ctx);
    },
    health: (_spec, actual) => goalHealth(actual),
    measurements: (_spec, actual) =>
      Object.entries(actual.results).map(([key, r]) => ({
        key,
        value: r.value,
        threshold: r.threshold,
        meets: r.state === 'MeetsTarget',
      })),
    display: (_spec, actual) => ({
      state: actual.state,
      ...(actual.total > 1 || !actual.results[''] ? { met: `${actual.met} of ${actual.total}` } : {}),
      results: actual.results,
      readAt: new Date(actual.readAt).toISOString(),
    }),
    watch: (targets, onChange) => intervalWatch(targets, onChange),
  };
}

export const targetProvider = goalProvider<TargetSpec>(
  'Target',
  'A goal (observe-only): a measure from Prometheus, SQL, HTTP JSON or a command, a direction and a threshold; MeetsTarget or BehindTarget with gap, trend and time left.',
  TargetSpecSchema,
  targetGoals,
  () => 'status.value',
);

export const objectiveProvider = goalProvider<ObjectiveSpec>(
  'Objective',
  'An objective (observe-only) met when all its key results are; each key result is a measure, a direction and a threshold.',
  ObjectiveSpecSchema,
  objectiveGoals,
  (key) => `status.keyResults.${key}`,
);
