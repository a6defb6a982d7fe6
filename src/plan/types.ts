/** Plans: a closed union of operations over the dependency graph. */
import type { Change } from '../diff/index.js';
import type { Diagnostic, ResourceId } from '../manifest/index.js';

export type Op = 'noop' | 'create' | 'update' | 'replace' | 'delete';

export const OP_GLYPH: Record<Op, string> = {
  noop: ' ',
  create: '+',
  update: '~',
  replace: '±',
  delete: '-',
};

export interface Action {
  id: ResourceId;
  kind: string;
  op: Op;
  changes: Change[];
  /** Deletes or replaces something that holds data. */
  destructive: boolean;
  /** Why this action: a short sentence. */
  reason: string;
  /** Actions this one waits for (its dependencies; for deletes, its dependents). */
  after: ResourceId[];
  /** The resource is no longer declared (a prune). */
  pruned?: boolean;
  /** What would hold this action back if it were applied now; absent when nothing would. */
  hold?: ActionHold;
}

/** The kinds of hold: a change window, an exhausted error budget, a rollout step. */
export type HoldKind = 'window' | 'budget' | 'rollout';

/**
 * Why an action would not run now, and until when: one model for every kind
 * of hold, so `plan` shows them alike.
 */
export interface ActionHold {
  kind: HoldKind;
  /** The window, SLO or rollout step that holds it. */
  name: string;
  /** hold: the action waits; approve: it asks for an approval first. */
  effect: 'hold' | 'approve';
  /** One sentence. */
  reason: string;
  /** When the hold ends by itself, when that is known (a window's end); a budget ends when it recovers. */
  until?: string;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
}

export interface Plan {
  /** Revision of the desired state the plan was computed from. */
  revision: string;
  actions: Action[];
  summary: PlanSummary;
  /** Ids no longer declared that are kept because pruning is off. */
  orphans: ResourceId[];
  diagnostics: Diagnostic[];
  createdAt: string;
}

export function summarize(actions: readonly Action[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const a of actions) s[a.op]++;
  return s;
}

export function hasChanges(plan: Pick<Plan, 'summary'>): boolean {
  const s = plan.summary;
  return s.create + s.update + s.replace + s.delete > 0;
}
