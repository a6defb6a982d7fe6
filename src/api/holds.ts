/**
 * What `plan` says about holds: for each action, whether a change window or
 * an exhausted error budget would hold it back if it were applied now, why,
 * and until when. The same gates as apply and serve ask; a target of a
 * rollout in progress that has not reached its step is held as kind `rollout`.
 */
import type { Planned } from '../engine/index.js';
import type { ActionHold } from '../plan/index.js';
import type { RolloutRecord } from '../store/index.js';
import type { BudgetGate, WindowGate } from '../windows/index.js';

export interface HoldGates {
  windows?: WindowGate;
  budget?: BudgetGate;
  /** Rollouts in progress (Progressing or Paused): their targets not yet at the new revision wait for a step. */
  rollouts?: readonly RolloutRecord[];
}

/** Sets `hold` on each action a gate would hold now (in place; the plan's other fields are unchanged). */
export function annotateHolds(planned: Planned, gates: HoldGates, now = new Date()): void {
  if (!gates.windows && !gates.budget && !gates.rollouts?.length) return;
  const byId = new Map(planned.observations.map((o) => [o.resource.id, o.resource]));
  for (const action of planned.plan.actions) {
    if (action.op === 'noop') continue;
    const resource = byId.get(action.id);
    if (!resource) continue;
    const hold = rolloutHold(action.id, gates.rollouts ?? []) ?? holdOf(resource, gates, now);
    if (hold) action.hold = hold;
  }
}

function holdOf(
  resource: Parameters<WindowGate['check']>[0],
  gates: HoldGates,
  now: Date,
): ActionHold | undefined {
  const budget = gates.budget?.check(resource, false);
  if (budget && budget.effect !== 'none')
    return { kind: 'budget', name: budget.slo, effect: budget.effect, reason: budget.reason };
  const window = gates.windows?.check(resource, now);
  if (window?.blocked)
    return {
      kind: 'window',
      name: window.window,
      effect: 'hold',
      reason: window.reason,
      until: window.until.toISOString(),
    };
  return undefined;
}

/** A target of a rollout in progress that still runs the previous revision waits for a later step (or a resume). */
export function rolloutHold(id: string, rollouts: readonly RolloutRecord[]): ActionHold | undefined {
  const r = rollouts.find((x) => x.targets.includes(id) && (x.pins[id] ?? x.from) !== x.to);
  if (!r) return undefined;
  const at =
    r.step < r.steps.length ? `step ${r.step + 1} of ${r.steps.length} (${r.steps[r.step]})` : 'its end';
  return {
    kind: 'rollout',
    name: `${r.name} ${r.id}`,
    effect: 'hold',
    reason:
      r.phase === 'Paused'
        ? `the rollout of ${r.to} is paused at ${at}; \`setpoint rollout resume\` goes on`
        : `the rollout of ${r.to} is at ${at}; this resource gets it at a later step`,
  };
}
