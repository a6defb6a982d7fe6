/**
 * What Target and Objective share: reading every measure of a goal once,
 * evaluating it against the stored history, recording the new samples, and
 * an event when the goal changes state.
 */
import type { Ctx } from '../../provider/types.js';
import { parseDuration } from '../../util/duration.js';
import { describeEvaluation, rollUp, type Evaluation, type GoalState } from './evaluate.js';
import { evaluate } from './evaluate.js';
import { readHistory, recordReadings } from './history.js';
import { readMeasure } from './read.js';
import type { Direction, Measure } from './spec.js';

/** One measure with its threshold: the Target itself, or one key result ("" names the Target's). */
export interface Goal {
  key: string;
  field: string;
  measure: Measure;
  direction: Direction;
  threshold: number;
  unit?: string;
}

export interface GoalTiming {
  deadline?: string;
  review?: string | number;
}

export interface GoalActual {
  state: GoalState;
  /** One per goal, keyed by key result name ("" for a Target). */
  results: Record<string, Evaluation & { unit?: string; summary: string }>;
  /** Key results met, for an objective. */
  met: number;
  total: number;
  /** Epoch ms of the reading. */
  readAt: number;
}

export const DEFAULT_REVIEW_MS = 7 * 86_400_000;
export const DEFAULT_INTERVAL_MS = 60_000;

export function reviewMsOf(t: GoalTiming): number {
  return t.review === undefined ? DEFAULT_REVIEW_MS : parseDuration(t.review)!;
}

/** End of the deadline: a bare date means the end of that day (UTC). */
export function deadlineMsOf(t: GoalTiming): number | undefined {
  if (t.deadline === undefined) return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(t.deadline)
    ? Date.parse(`${t.deadline}T23:59:59.999Z`)
    : Date.parse(t.deadline);
}

/** Reads and evaluates every goal, records the samples, and reports a change of state as an event. */
export async function observeGoals(
  goals: readonly Goal[],
  timing: GoalTiming,
  ctx: Ctx,
): Promise<GoalActual> {
  const readings: Record<string, number> = {};
  // One at a time: a measure's failure names its own field, and readings stay cheap on the source.
  for (const g of goals) readings[g.key] = await readMeasure(g.measure, ctx, g.field);
  const now = Date.now();
  const reviewMs = reviewMsOf(timing);
  const history = readHistory(ctx.workDir, ctx.id);
  const results: GoalActual['results'] = {};
  for (const g of goals) {
    const e = evaluate({
      value: readings[g.key],
      threshold: g.threshold,
      direction: g.direction,
      history: history.samples[g.key] ?? [],
      now,
      reviewMs,
      deadline: deadlineMsOf(timing),
    });
    results[g.key] = { ...e, unit: g.unit, summary: describeEvaluation(e, g.unit, g.key || undefined) };
  }
  const { state, met, total } = rollUp(Object.values(results));
  recordReadings(ctx.workDir, ctx.id, history, readings, state, now, reviewMs);
  const actual: GoalActual = { state, results, met, total, readAt: now };
  if (history.state !== state && (history.state !== undefined || state === 'BehindTarget'))
    ctx.event(state === 'BehindTarget' ? 'Warning' : 'Normal', state, summaryOf(actual));
  return actual;
}

/** "BehindTarget: 420 signups/day needs >= 500 ...", or for an objective "BehindTarget: 1 of 3 key results met; latency ...". */
export function summaryOf(a: GoalActual): string {
  const parts = Object.values(a.results).map((r) => r.summary);
  if (a.total === 1 && a.results['']) return `${a.state}: ${parts[0]}`;
  const behind = Object.values(a.results).filter((r) => r.state === 'BehindTarget');
  return `${a.state}: ${a.met} of ${a.total} key results met${behind.length ? `; ${behind.map((r) => r.summary).join('; ')}` : ''}`;
}
