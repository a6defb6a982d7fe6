/**
 * When a window is open. Each occurrence of the schedule opens the window for
 * [occurrence, occurrence + duration): start inclusive, end exclusive. The
 * duration is elapsed time, so a window spanning a DST change ends an hour
 * earlier or later on the wall clock. Openings may overlap or touch (a daily
 * schedule with a 36h duration); they then form one contiguous open span.
 */
import type { Cron } from 'croner';
import { lazy } from '../util/lazy.js';

const croner = lazy<typeof import('croner')>('croner');
import { parseDuration } from '../util/duration-text.js';
import { matchPredicate, type SubjectPredicate } from './match.js';
import type { WindowSpec, WindowType } from './schema.js';

/** A window with its schedule parsed once. */
export interface CompiledWindow {
  readonly name: string;
  readonly type: WindowType;
  readonly durationMs: number;
  readonly cron: Cron;
  readonly applies: SubjectPredicate;
}

/** One opening: epoch milliseconds, `end` exclusive. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Contiguous spans are followed this far at most: a window that is open without a
 * break (e.g. every minute for 2 minutes) would otherwise be followed for ever.
 * Past either limit the span ends where the search stopped; callers re-evaluate then.
 */
export const MAX_STEPS = 1000;
export const HORIZON_MS = 366 * 86_400_000;

const compiled = new WeakMap<WindowSpec, CompiledWindow>();

/**
 * Compiles a window that passed `WindowSchema`; cached per spec object, so the
 * settings' array can be passed on every evaluation. Throws on a spec the schema rejects.
 */
export function compileWindow(spec: WindowSpec): CompiledWindow {
  let w = compiled.get(spec);
  if (w) return w;
  const durationMs = parseDuration(spec.duration);
  if (durationMs === undefined || durationMs <= 0)
    throw new RangeError(`window "${spec.name}": bad duration ${String(spec.duration)}`);
  w = {
    name: spec.name,
    type: spec.type,
    durationMs,
    cron: new (croner().Cron)(spec.schedule, { mode: '5-or-6-parts', timezone: spec.timezone ?? 'UTC' }),
    applies: matchPredicate(spec.match),
  };
  compiled.set(spec, w);
  return w;
}

/**
 * The opening of `w` that covers `t`, if any: the latest occurrence at or before
 * `t`, which is also the one that ends last, as every opening lasts as long.
 */
export function openingAt(w: CompiledWindow, t: number): Span | undefined {
  // previousRuns excludes a run exactly at the reference; 1ms later includes it.
  const [latest] = w.cron.previousRuns(1, new Date(t + 1));
  if (!latest) return undefined;
  const start = latest.getTime();
  return t < start + w.durationMs ? { start, end: start + w.durationMs } : undefined;
}

/** The first opening of `w` strictly after `t`, in epoch milliseconds. */
export function nextOpening(w: CompiledWindow, t: number): number | undefined {
  return w.cron.nextRun(new Date(t))?.getTime();
}

/**
 * Where the contiguous span of openings of any of `windows` that covers `t` ends.
 * Returns `t` when none is open at `t`.
 */
export function openUntil(windows: readonly CompiledWindow[], t: number): number {
  let end = t;
  for (let step = 0; step < MAX_STEPS && end - t < HORIZON_MS; step++) {
    let next = end;
    for (const w of windows) {
      const span = openingAt(w, end);
      if (span && span.end > next) next = span.end;
    }
    if (next === end) break;
    end = next;
  }
  return end;
}

/** Where the contiguous span of openings of `w` that covers `t` began, or undefined when `w` is closed at `t`. */
export function openSince(w: CompiledWindow, t: number): number | undefined {
  let start = openingAt(w, t)?.start;
  if (start === undefined) return undefined;
  for (let step = 0; step < MAX_STEPS && t - start < HORIZON_MS; step++) {
    const [previous] = w.cron.previousRuns(1, new Date(start));
    if (!previous || previous.getTime() + w.durationMs < start) break;
    start = previous.getTime();
  }
  return start;
}
