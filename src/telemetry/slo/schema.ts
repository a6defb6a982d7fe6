/**
 * The `slos:` list of setpoint.yaml. An SLO says which share of events must
 * be good over a window: "95% of revisions converge within 60s over 30d" is
 * `{ sli: convergence, threshold: 60s, objective: 95 }` (convergence p95 <
 * 60s); "99% of reconciles succeed" is `{ sli: reconcile-success, objective:
 * 99 }`. Burn-rate alerts use the multi-window thresholds of the SRE workbook
 * unless `burnRates` replaces them.
 */
import * as z from 'zod';
import { NAME_PATTERN } from '../../manifest/index.js';
import { DurationSchema, parseDuration } from '../../util/duration.js';
import type { AlertSeverity } from '../../store/alerts.js';
import { BudgetGateSchema, type BudgetGateSpec } from '../../windows/budget.js';

/** `$window` in a query is replaced by the window being measured ("30d", "1h", "5m"). */
export const WINDOW_PLACEHOLDER = '$window';

const PrometheusSliSchema = z
  .strictObject({
    url: z.url().describe('Base URL of Prometheus, e.g. http://prometheus:9090.'),
    good: z
      .string()
      .min(1)
      .describe(
        'PromQL counting good events over `$window`, e.g. sum(increase(http_requests_total{code!~"5.."}[$window])).',
      ),
    total: z
      .string()
      .min(1)
      .describe(
        'PromQL counting all events over `$window`, e.g. sum(increase(http_requests_total[$window])).',
      ),
  })
  .describe("Events counted by Prometheus: your service's own SLI.");

export const SLI_KINDS = ['convergence', 'remediation', 'reconcile-success', 'prometheus'] as const;
export type SliKind = (typeof SLI_KINDS)[number];
/** SLIs whose events are good when faster than a threshold. */
export const LATENCY_SLIS: readonly SliKind[] = ['convergence', 'remediation'];

const BurnRateSchema = z.strictObject({
  long: DurationSchema.describe('The long window, e.g. 1h.'),
  short: DurationSchema.describe(
    'The short window (about 1/12 of the long one), e.g. 5m: the alert resolves soon after the burn stops.',
  ),
  factor: z
    .number()
    .positive()
    .describe('Burn rate both windows must exceed, e.g. 14.4 (2% of a 30-day budget in 1h).'),
  severity: z.enum(['page', 'ticket']),
});

export const SloSchema = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN).describe('Unique; the `slo` label of its alerts and metrics.'),
    description: z.string().optional(),
    sli: z
      .enum(SLI_KINDS)
      .describe(
        'convergence: revisions in sync within `threshold` of admission; remediation: drift fixed within `threshold`; reconcile-success: reconciles that did not fail; prometheus: good and total events from two PromQL queries.',
      ),
    objective: z.number().gt(0).lt(100).describe('Percent of events that must be good, e.g. 99.'),
    threshold: DurationSchema.optional().describe(
      'For convergence and remediation: an event is good when faster than this.',
    ),
    window: DurationSchema.optional().describe('The compliance window of the error budget. Defaults to 30d.'),
    owner: z.string().optional().describe('The owner label of its alerts. Defaults to alerts.defaultOwner.'),
    prometheus: PrometheusSliSchema.optional().describe('For sli: prometheus: where the events are counted.'),
    gate: BudgetGateSchema.optional(),
    burnRates: z
      .array(BurnRateSchema)
      .optional()
      .describe(
        'Multi-window burn-rate alerts. Defaults to 1h/5m at 14.4 and 6h/30m at 6 (page), 1d/2h at 3 and 3d/6h at 1 (ticket).',
      ),
  })
  .superRefine((s, ctx) => {
    if ((s.sli === 'prometheus') !== (s.prometheus !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['prometheus'],
        message:
          s.sli === 'prometheus'
            ? 'an SLO on prometheus needs prometheus: {url, good, total}'
            : `prometheus is only for sli: prometheus (this SLO is on ${s.sli})`,
      });
    for (const q of ['good', 'total'] as const)
      if (s.prometheus && !s.prometheus[q].includes(WINDOW_PLACEHOLDER))
        ctx.addIssue({
          code: 'custom',
          path: ['prometheus', q],
          message: `the query must use ${WINDOW_PLACEHOLDER} as its range, e.g. [${WINDOW_PLACEHOLDER}]`,
        });
    if (LATENCY_SLIS.includes(s.sli) && s.threshold === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: `an SLO on ${s.sli} needs a threshold, e.g. "60s"`,
      });
    if (!LATENCY_SLIS.includes(s.sli) && s.threshold !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: `${s.sli} has no threshold (an event is good or bad by itself)`,
      });
  });

export const SlosSchema = z.array(SloSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [i, s] of list.entries()) {
    if (seen.has(s.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `SLO "${s.name}" is declared twice` });
    seen.add(s.name);
  }
});

export interface BurnWindow {
  longMs: number;
  shortMs: number;
  factor: number;
  severity: AlertSeverity;
}

export interface SloSpec {
  name: string;
  description?: string;
  sli: SliKind;
  /** 0..1 (99% = 0.99). */
  objective: number;
  thresholdMs?: number;
  windowMs: number;
  owner?: string;
  burnRates: BurnWindow[];
  prometheus?: { url: string; good: string; total: string };
  gate?: BudgetGateSpec;
}

const HOUR = 3_600_000;

/** The SRE workbook's multi-window, multi-burn-rate alerts for a 30-day window. */
export const DEFAULT_BURN_RATES: readonly BurnWindow[] = [
  { longMs: HOUR, shortMs: 5 * 60_000, factor: 14.4, severity: 'page' },
  { longMs: 6 * HOUR, shortMs: 30 * 60_000, factor: 6, severity: 'page' },
  { longMs: 24 * HOUR, shortMs: 2 * HOUR, factor: 3, severity: 'ticket' },
  { longMs: 72 * HOUR, shortMs: 6 * HOUR, factor: 1, severity: 'ticket' },
];

export function sloSpecs(raw: z.infer<typeof SlosSchema> = []): SloSpec[] {
  return raw.map((s) => ({
    name: s.name,
    description: s.description,
    sli: s.sli,
    objective: s.objective / 100,
    thresholdMs: s.threshold === undefined ? undefined : parseDuration(s.threshold),
    windowMs: s.window === undefined ? 30 * 24 * HOUR : parseDuration(s.window)!,
    owner: s.owner,
    prometheus: s.prometheus,
    gate: s.gate,
    burnRates: s.burnRates
      ? s.burnRates.map((b) => ({
          longMs: parseDuration(b.long)!,
          shortMs: parseDuration(b.short)!,
          factor: b.factor,
          severity: b.severity,
        }))
      : [...DEFAULT_BURN_RATES],
  }));
}
