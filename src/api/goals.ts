/**
 * Goals (Targets and Objectives) as figures for the dashboard: each goal's
 * last value, gap, trend and time left, rebuilt from the samples serve keeps
 * in the kind's work folder. Nothing is read from the measure here: a list
 * of goals costs file reads, never a query to Prometheus or a database.
 */
import { evaluate, type Evaluation, type GoalState } from '../providers/target/evaluate.js';
import { deadlineMsOf, reviewMsOf } from '../providers/target/goal.js';
import { readHistory } from '../providers/target/history.js';
import type { ObjectiveSpec, TargetSpec } from '../providers/target/spec.js';
import { join } from 'node:path';
import type { ApiContext } from './context.js';

export const GOAL_KINDS = ['Target', 'Objective'] as const;

export interface GoalResult extends Evaluation {
  /** The key result's name; "" for a Target's own measure. */
  key: string;
  unit?: string;
  /** When this value was read. */
  readAt: string;
}

export interface GoalStatus {
  id: string;
  kind: (typeof GOAL_KINDS)[number];
  namespace: string;
  name: string;
  description?: string;
  owner?: string;
  deadline?: string;
  sync: string;
  health: string;
  /** The health sentence (state, figures, trend). */
  message?: string;
  /** Absent until the goal has been read once. */
  state?: GoalState;
  /** Key results met, for an objective (a Target: 0 or 1 of 1). */
  met: number;
  total: number;
  /** Until the deadline (negative once past), from now. */
  timeLeftMs?: number;
  results: GoalResult[];
}

interface GoalLine {
  key: string;
  direction: TargetSpec['direction'];
  threshold: number;
  unit?: string;
}

function linesOf(kind: string, spec: TargetSpec | ObjectiveSpec): GoalLine[] {
  if (kind === 'Target') {
    const t = spec as TargetSpec;
    return [{ key: '', direction: t.direction, threshold: t.threshold, unit: t.unit }];
  }
  return (spec as ObjectiveSpec).keyResults.map((k) => ({
    key: k.name,
    direction: k.direction,
    threshold: k.threshold,
    unit: k.unit,
  }));
}

/** Every goal (of these namespaces, for a scoped token), in id order. */
export async function goals(
  ctx: ApiContext,
  options: { namespaces?: readonly string[]; now?: number } = {},
): Promise<GoalStatus[]> {
  const store = await ctx.store();
  const now = options.now ?? Date.now();
  const scope = options.namespaces?.length ? [...options.namespaces] : undefined;
  const out: GoalStatus[] = [];
  for (const kind of GOAL_KINDS) {
    const records = await store.listResources({ kind, ...(scope ? { namespaces: scope } : {}) });
    const workDir = join(ctx.workRoot, kind.toLowerCase());
    for (const r of records) {
      const spec = r.spec as TargetSpec | ObjectiveSpec;
      const history = readHistory(workDir, r.id);
      const reviewMs = reviewMsOf(spec);
      const deadline = deadlineMsOf(spec);
      const results: GoalResult[] = [];
      for (const line of linesOf(kind, spec)) {
        const samples = history.samples[line.key] ?? [];
        const last = samples.at(-1);
        if (!last) continue;
        // Evaluated at the last reading, so the trend rests on real samples only.
        const e = evaluate({
          ...line,
          value: last.value,
          history: samples,
          now: last.at,
          reviewMs,
          deadline,
        });
        results.push({
          ...e,
          ...(deadline !== undefined ? { timeLeftMs: deadline - now } : {}),
          key: line.key,
          ...(line.unit !== undefined ? { unit: line.unit } : {}),
          readAt: new Date(last.at).toISOString(),
        });
      }
      const met = results.filter((x) => x.state === 'MeetsTarget').length;
      const total = linesOf(kind, spec).length;
      out.push({
        id: r.id,
        kind,
        namespace: r.namespace,
        name: r.name,
        ...(spec.description ? { description: spec.description } : {}),
        ...((spec.owner ?? r.labels.owner) ? { owner: spec.owner ?? r.labels.owner } : {}),
        ...(spec.deadline ? { deadline: spec.deadline } : {}),
        sync: r.sync,
        health: r.health,
        ...(r.healthMessage ? { message: r.healthMessage } : {}),
        ...(results.length === total
          ? { state: met === total ? ('MeetsTarget' as const) : ('BehindTarget' as const) }
          : {}),
        met,
        total,
        ...(deadline !== undefined ? { timeLeftMs: deadline - now } : {}),
        results,
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
