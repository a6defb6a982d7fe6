/**
 * Error-budget gating: while an SLO's error budget is exhausted, changes
 * wait (like a deny change window, but until the budget recovers, not until
 * a time), and automatic remediation of the listed kinds pauses or asks for
 * an approval first. Critical resources are never held. Pure: the caller
 * passes each gated SLO's remaining budget as last measured; the gate
 * releases by itself once a measurement shows the budget above `below`.
 */
import * as z from 'zod';
import type { Resource } from '../manifest/index.js';
import { matchPredicate, windowSubject } from './match.js';
import { WindowMatchSchema } from './schema.js';

export const BudgetGateSchema = z
  .strictObject({
    below: z
      .number()
      .min(-100)
      .max(100)
      .optional()
      .describe('The budget counts as exhausted at or below this percentage left. Defaults to 0.'),
    changes: z
      .enum(['hold', 'allow'])
      .optional()
      .describe(
        'What happens to changes (new desired state) while exhausted: hold (they wait) or allow. Defaults to hold.',
      ),
    match: WindowMatchSchema.optional().describe('Which resources the gate applies to. Defaults to all.'),
    remediation: z
      .strictObject({
        kinds: z
          .array(z.string().min(1))
          .min(1)
          .describe('Kinds whose automatic drift repair is gated, e.g. [Process, Exec].'),
        action: z
          .enum(['pause', 'approve'])
          .describe('pause: repairs wait like changes; approve: each repair asks for an approval first.'),
      })
      .optional()
      .describe('Automatic remediation of these kinds while exhausted. Defaults to none (repairs go on).'),
  })
  .describe('Hold changes while this SLO has no error budget left; released when it recovers.');

export type BudgetGateSpec = z.output<typeof BudgetGateSchema>;

/** A gated SLO as the gate sees it. */
export interface GatedSlo {
  name: string;
  gate: BudgetGateSpec;
}

/** The last measurement of a gated SLO's budget: 1 untouched, 0 spent, below 0 overspent. */
export interface BudgetReading {
  remaining: number;
  /** When it was measured (epoch ms). */
  at: number;
}

export type BudgetVerdict =
  | { effect: 'none' }
  | {
      /** hold: the action waits; approve: it asks for an approval first. */
      effect: 'hold' | 'approve';
      slo: string;
      /** One sentence for status, events and plan. */
      reason: string;
    };

export interface BudgetGate {
  /** What the budget gates say about acting on `resource` now; `isDrift`: the action repairs drift. */
  check(resource: Resource, isDrift: boolean): BudgetVerdict;
  /** How often the caller measures the budgets again (the longest a released gate goes unnoticed). */
  readonly recheckMs: number;
}

/** Whether a reading counts as exhausted for this gate. */
export function exhausted(gate: BudgetGateSpec, reading: BudgetReading | undefined): boolean {
  return reading !== undefined && reading.remaining * 100 <= (gate.below ?? 0);
}

export function budgetGate(
  slos: readonly GatedSlo[],
  readings: () => ReadonlyMap<string, BudgetReading>,
  recheckMs: number,
): BudgetGate {
  const compiled = slos.map((s) => ({
    ...s,
    applies: matchPredicate(s.gate.match),
  }));
  return {
    recheckMs,
    check(resource, isDrift) {
      if (resource.lifecycle.priority === 'critical') return { effect: 'none' };
      const subject = windowSubject(resource);
      const now = readings();
      let approve: BudgetVerdict | undefined;
      for (const s of compiled) {
        const reading = now.get(s.name);
        if (!exhausted(s.gate, reading) || !s.applies(subject)) continue;
        const left = `${Math.round(reading!.remaining * 100)}% left`;
        if (!isDrift) {
          if ((s.gate.changes ?? 'hold') === 'hold')
            return {
              effect: 'hold',
              slo: s.name,
              reason: `error budget of SLO ${s.name} is exhausted (${left}): changes wait until it recovers`,
            };
          continue;
        }
        const r = s.gate.remediation;
        if (!r || !r.kinds.includes(subject.kind)) continue;
        const verdict: BudgetVerdict = {
          effect: r.action === 'pause' ? 'hold' : 'approve',
          slo: s.name,
          reason:
            r.action === 'pause'
              ? `error budget of SLO ${s.name} is exhausted (${left}): automatic repairs of ${subject.kind} wait until it recovers`
              : `error budget of SLO ${s.name} is exhausted (${left}): repairs of ${subject.kind} need approval`,
        };
        if (verdict.effect === 'hold') return verdict;
        approve ??= verdict;
      }
      return approve ?? { effect: 'none' };
    },
  };
}
