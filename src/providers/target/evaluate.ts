/**
 * Goal arithmetic, pure: whether a value meets its threshold, the gap still
 * to close, the trend over the review period (least-squares slope of the
 * samples), the time left to the deadline, and the roll-up of key results.
 */
import { formatDuration } from '../../util/duration.js';
import type { Direction } from './spec.js';

export type GoalState = 'MeetsTarget' | 'BehindTarget';

export interface Sample {
  /** Epoch ms. */
  at: number;
  value: number;
}

export interface Trend {
  /** Change per day (least squares over the review period); 0 with fewer than 2 samples. */
  perDay: number;
  /** improving: moving towards (or further past) the threshold; worsening: away from it. */
  direction: 'improving' | 'worsening' | 'flat';
  /** Samples in the review period. */
  samples: number;
  /** Span the samples cover, ms. */
  spanMs: number;
}

export interface Evaluation {
  state: GoalState;
  value: number;
  threshold: number;
  direction: Direction;
  /** How far the value still has to move to meet the threshold; 0 when met. */
  gap: number;
  trend: Trend;
  /** Until the deadline (negative once past); absent without one. */
  timeLeftMs?: number;
  /** When behind and improving: the time the trend needs to close the gap. */
  etaMs?: number;
}

const DAY = 86_400_000;

/** Whether larger values are better for this direction. */
export function upIsGood(direction: Direction): boolean {
  return direction === 'above' || direction === '>=' || direction === '>';
}

export function meets(direction: Direction, value: number, threshold: number): boolean {
  switch (direction) {
    case 'above':
    case '>=':
      return value >= threshold;
    case 'below':
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
  }
}

/** The comparison as users read it: ">= 500". */
export function operator(direction: Direction): string {
  return direction === 'above' ? '>=' : direction === 'below' ? '<=' : direction;
}

export function gapOf(direction: Direction, value: number, threshold: number): number {
  if (meets(direction, value, threshold)) return 0;
  return Math.abs(threshold - value);
}

/** Least-squares slope of the samples within `reviewMs` before `now`, per day. */
export function trendOf(
  samples: readonly Sample[],
  direction: Direction,
  now: number,
  reviewMs: number,
): Trend {
  const within = samples.filter((s) => s.at >= now - reviewMs && s.at <= now);
  const spanMs = within.length ? within[within.length - 1].at - within[0].at : 0;
  if (within.length < 2 || spanMs === 0)
    return { perDay: 0, direction: 'flat', samples: within.length, spanMs };
  const n = within.length;
  const mt = within.reduce((a, s) => a + s.at, 0) / n;
  const mv = within.reduce((a, s) => a + s.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of within) {
    num += (s.at - mt) * (s.value - mv);
    den += (s.at - mt) ** 2;
  }
  const perMs = den === 0 ? 0 : num / den;
  const perDay = perMs * DAY;
  // A slope that moves the value less than a millionth of its size over the span is no trend.
  const scale = Math.max(Math.abs(mv), 1e-12);
  const flat = Math.abs(perMs * spanMs) <= scale * 1e-6;
  const good = upIsGood(direction) ? perMs > 0 : perMs < 0;
  return { perDay, direction: flat ? 'flat' : good ? 'improving' : 'worsening', samples: n, spanMs };
}

export interface EvaluateInput {
  value: number;
  threshold: number;
  direction: Direction;
  /** Earlier samples (oldest first), this reading included or not. */
  history: readonly Sample[];
  now: number;
  reviewMs: number;
  /** Epoch ms. */
  deadline?: number;
}

export function evaluate(input: EvaluateInput): Evaluation {
  const { value, threshold, direction, now } = input;
  const history = input.history.some((s) => s.at === now)
    ? input.history
    : [...input.history, { at: now, value }];
  const trend = trendOf(history, direction, now, input.reviewMs);
  const ok = meets(direction, value, threshold);
  const gap = gapOf(direction, value, threshold);
  const etaMs =
    !ok && trend.direction === 'improving' && trend.perDay !== 0
      ? (gap / Math.abs(trend.perDay)) * DAY
      : undefined;
  return {
    state: ok ? 'MeetsTarget' : 'BehindTarget',
    value,
    threshold,
    direction,
    gap,
    trend,
    timeLeftMs: input.deadline === undefined ? undefined : input.deadline - now,
    etaMs,
  };
}

/** Durations for goal sentences: days once past two of them. */
export function span(ms: number): string {
  return ms >= 2 * DAY ? `${+(ms / DAY).toFixed(1)}d` : formatDuration(ms);
}

/** "1.5k", "0.25", "300": short numbers for sentences. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toPrecision(3);
  return String(+v.toFixed(a >= 100 ? 1 : 3));
}

/** One sentence: "BehindTarget: 420 signups/day, needs >= 500 (gap 80); trend improving (+12/day over 7d, 30 samples); 20d left". */
export function describeEvaluation(e: Evaluation, unit?: string, label?: string): string {
  const u = unit ? ` ${unit}` : '';
  const head = `${label ? `${label} ` : ''}${num(e.value)}${u} ${e.state === 'MeetsTarget' ? 'meets' : 'needs'} ${operator(e.direction)} ${num(e.threshold)}${u}`;
  const gap = e.gap > 0 ? ` (gap ${num(e.gap)}${u})` : '';
  const t = e.trend;
  const trend =
    t.samples < 2
      ? 'no trend yet'
      : `trend ${t.direction} (${t.perDay >= 0 ? '+' : ''}${num(t.perDay)}/day over ${span(t.spanMs)}, ${t.samples} samples)`;
  const eta = e.etaMs === undefined ? '' : `; meets it in about ${span(Math.round(e.etaMs))} at this pace`;
  const left =
    e.timeLeftMs === undefined
      ? ''
      : e.timeLeftMs >= 0
        ? `; ${span(e.timeLeftMs)} left`
        : `; deadline passed ${span(-e.timeLeftMs)} ago`;
  return `${head}${gap}; ${trend}${eta}${left}`;
}

/** An objective is met when all its key results are. */
export function rollUp(results: readonly Pick<Evaluation, 'state'>[]): {
  state: GoalState;
  met: number;
  total: number;
} {
  const met = results.filter((r) => r.state === 'MeetsTarget').length;
  return { state: met === results.length ? 'MeetsTarget' : 'BehindTarget', met, total: results.length };
}
