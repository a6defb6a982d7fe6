/**
 * What `plan` says about holds: for each action, whether a change window or
 * an exhausted error budget would hold it back if it were applied now, why,
 * and until when. The same gates as apply and serve ask; a rollout's step
 * holds join here as kind `rollout`.
 */
import type { Planned } from '../engine/index.js';
import type { ActionHold } from '../plan/index.js';
import type { BudgetGate, WindowGate } from '../windows/index.js';

export interface HoldGates {
  windows?: WindowGate;
  budget?: BudgetGate;
}

/** Sets `hold` on each action a gate would hold now (in place; the plan's other fields are unchanged). */
export function annotateHolds(planned: Planned, gates: HoldGates, now = new Date()): void {
  if (!gates.windows && !gates.budget) return;
  const byId = new Map(planned.observations.map((o) => [o.resource.id, o.resource]));
  for (const action of planned.plan.actions) {
    if (action.op === 'noop') continue;
    const resource = byId.get(action.id);
    if (!resource) continue;
    const hold = holdOf(resource, gates, now);
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
