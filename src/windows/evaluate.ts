/**
 * Whether change windows block a resource now, and until when (Argo CD sync
 * window semantics): a matching deny window that is open blocks; matching allow
 * windows block while none of them is open; deny wins; critical resources and
 * overrides are never blocked. Pure: the caller passes the clock.
 */
import type { WindowSubject } from './match.js';
import type { WindowSpec, WindowType } from './schema.js';
import {
  compileWindow,
  HORIZON_MS,
  MAX_STEPS,
  nextOpening,
  openingAt,
  openSince,
  openUntil,
  type CompiledWindow,
} from './schedule.js';

export type WindowVerdict =
  | { blocked: false }
  | {
      blocked: true;
      /** The window that blocks now: the first open deny window, or the allow window that opens next. */
      window: string;
      /** One sentence for status, logs and alerts. */
      reason: string;
      /**
       * When the resource is next unblocked: the end of the contiguous deny span, moved on
       * to the next allow opening when allow windows still block then (and so on).
       * Searched at most a year (or 1,000 openings) ahead; re-evaluate at `until`.
       */
      until: Date;
    };

export interface EvaluateOptions {
  /** Bypass every window, as `apply --override-window` does. Defaults to false. */
  override?: boolean;
}

export interface ActiveWindow {
  name: string;
  type: WindowType;
  /** When the contiguous span of openings that is open now began. */
  since: Date;
  /** When it closes (end exclusive), following openings that overlap or touch. */
  until: Date;
}

/** Whether `windows` (entries that passed `WindowSchema`) block `resource` at `now`. */
export function evaluateWindows(
  windows: readonly WindowSpec[],
  resource: WindowSubject,
  now: Date,
  options: EvaluateOptions = {},
): WindowVerdict {
  if (options.override === true || resource.priority === 'critical') return { blocked: false };
  const t = now.getTime();
  const matching = windows.map(compileWindow).filter((w) => w.applies(resource));
  const deny = matching.filter((w) => w.type === 'deny');
  const allow = matching.filter((w) => w.type === 'allow');

  const denying = deny.find((w) => openingAt(w, t) !== undefined);
  if (denying) {
    return {
      blocked: true,
      window: denying.name,
      reason: `deny window "${denying.name}" is open until ${iso(openUntil([denying], t))}`,
      until: new Date(unblockedAt(deny, allow, t)),
    };
  }
  if (allow.length === 0 || allow.some((w) => openingAt(w, t) !== undefined)) return { blocked: false };

  const next = firstToOpen(allow, t);
  return {
    blocked: true,
    window: (next?.window ?? allow[0]).name,
    reason: allowReason(allow, next),
    until: new Date(unblockedAt(deny, allow, t)),
  };
}

/** The windows open at `now`, in declaration order, for `setpoint status`. */
export function activeWindows(windows: readonly WindowSpec[], now: Date): ActiveWindow[] {
  const t = now.getTime();
  const out: ActiveWindow[] = [];
  for (const w of windows.map(compileWindow)) {
    const since = openSince(w, t);
    if (since === undefined) continue;
    out.push({ name: w.name, type: w.type, since: new Date(since), until: new Date(openUntil([w], t)) });
  }
  return out;
}

/** The first time at or after `t` when no deny window is open and, if there are allow windows, one of them is. */
function unblockedAt(deny: readonly CompiledWindow[], allow: readonly CompiledWindow[], t: number): number {
  let at = t;
  for (let step = 0; step < MAX_STEPS && at - t < HORIZON_MS; step++) {
    if (deny.some((w) => openingAt(w, at) !== undefined)) {
      at = openUntil(deny, at);
    } else if (allow.length > 0 && !allow.some((w) => openingAt(w, at) !== undefined)) {
      const next = firstToOpen(allow, at);
      if (!next) return t + HORIZON_MS;
      at = next.at;
    } else {
      return at;
    }
  }
  return at;
}

function firstToOpen(
  windows: readonly CompiledWindow[],
  t: number,
): { window: CompiledWindow; at: number } | undefined {
  let first: { window: CompiledWindow; at: number } | undefined;
  for (const window of windows) {
    const at = nextOpening(window, t);
    if (at !== undefined && (!first || at < first.at)) first = { window, at };
  }
  return first;
}

function allowReason(
  allow: readonly CompiledWindow[],
  next: { window: CompiledWindow; at: number } | undefined,
): string {
  const when = next ? `opens next at ${iso(next.at)}` : 'does not open again';
  if (allow.length === 1) return `outside allow window "${allow[0].name}", which ${when}`;
  return `outside all ${allow.length} matching allow windows; ${next ? `"${next.window.name}" ${when}` : 'none opens again'}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
