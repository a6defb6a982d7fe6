/**
 * Step planning, pure: which targets run the new revision after each step.
 * Promotions are cumulative: a step keeps what earlier steps promoted and
 * adds its own (a group, the targets a selector matches, or the first
 * targets in the stable order not promoted yet until the count or share is
 * reached). A gate promotes nothing.
 */
import type { Promotion, StepSpec } from './schema.js';
import { matchesLabels, type RolloutTarget } from './targets.js';

/** The ids promoted after `step` (its index in `steps`), in the targets' stable order. */
export function promotedAfter(
  steps: readonly StepSpec[],
  targets: readonly RolloutTarget[],
  step: number,
): string[] {
  const promoted = new Set<string>();
  for (const s of steps.slice(0, step + 1))
    if (s.type === 'promote') for (const id of select(s.promotion, targets, promoted)) promoted.add(id);
  return targets.filter((t) => promoted.has(t.id)).map((t) => t.id);
}

function select(p: Promotion, targets: readonly RolloutTarget[], already: ReadonlySet<string>): string[] {
  if ('group' in p) return targets.filter((t) => t.groups.includes(p.group)).map((t) => t.id);
  if ('selector' in p) return targets.filter((t) => matchesLabels(t.labels, p.selector)).map((t) => t.id);
  const want =
    'count' in p ? Math.min(p.count, targets.length) : Math.ceil((p.percent / 100) * targets.length);
  const out: string[] = [];
  let have = already.size;
  for (const t of targets) {
    if (have >= want) break;
    if (already.has(t.id)) continue;
    out.push(t.id);
    have++;
  }
  return out;
}

/** The pins after `step`: promoted targets at `to`, the rest at `from` (listed too, so the record says it). */
export function pinsAfter(
  steps: readonly StepSpec[],
  targets: readonly RolloutTarget[],
  step: number,
  revisions: { from: string; to: string },
): Record<string, string> {
  const promoted = new Set(promotedAfter(steps, targets, step));
  return Object.fromEntries(targets.map((t) => [t.id, promoted.has(t.id) ? revisions.to : revisions.from]));
}
