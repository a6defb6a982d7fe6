/**
 * `rollouts:` in setpoint.yaml: a progressive rollout strategy per Git
 * source (optionally narrowed by a label selector), as steps that promote
 * targets (a canary group, a count, a percentage) and gates that check the
 * promoted ones over a window. `rolloutSpecs` applies every default.
 */
import * as z from 'zod';
import { DurationSchema, parseDuration } from '../util/duration.js';

const Labels = z.record(z.string(), z.string());
const Percent = z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as "10%"');

/** Who a canary step promotes: a named group, a count of targets, or a share of them. */
const CanarySchema = z
  .union([
    z.number().int().min(1).describe('This many targets (in stable order).'),
    Percent.describe('This share of the targets, rounded up.'),
    z.string().min(1).describe('The named group (see groups).'),
    z.strictObject({ group: z.string().min(1) }),
    z.strictObject({
      selector: Labels.describe('Targets with all these labels (node targets: node labels).'),
    }),
  ])
  .describe('The first targets to get the new revision.');

const Comparison = z.enum(['<', '<=', '>', '>=', '==', '!=']);

export const CheckSchema = z
  .union([
    z
      .strictObject({
        health: z
          .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
          .describe('Resource ids (e.g. an HttpCheck) that must be Healthy for the whole window.'),
      })
      .describe('Resource health.'),
    z
      .strictObject({
        prometheus: z.strictObject({
          url: z.string().url().describe('The Prometheus base URL; queried at {url}/api/v1/query.'),
          query: z.string().min(1).describe('A PromQL instant query answering one number.'),
          comparison: Comparison.describe('How the value must compare with the threshold to pass.'),
          threshold: z.number(),
        }),
      })
      .describe('A Prometheus instant query against a threshold, at every check.'),
    z
      .strictObject({
        slo: z.strictObject({
          name: z.string().min(1).describe('An SLO of `slos:`.'),
          maxBurnRate: z
            .number()
            .positive()
            .optional()
            .describe('Highest burn rate that passes. Defaults to 1.'),
          window: DurationSchema.optional().describe(
            'The burn rate is measured over this window. Defaults to the gate window.',
          ),
        }),
      })
      .describe("An SLO's burn rate."),
    z
      .strictObject({
        approval: z
          .union([z.literal(true), z.strictObject({ note: z.string().optional() })])
          .describe('A person approves the step (`setpoint approve`).'),
      })
      .describe('Manual approval.'),
  ])
  .describe('One check of a gate.');

export const StepSchema = z
  .union([
    z.strictObject({ canary: CanarySchema }),
    z.strictObject({
      percent: z
        .number()
        .min(0)
        .max(100)
        .describe('At least this share of the targets runs the new revision.'),
    }),
    z.strictObject({ setWeight: z.number().min(0).max(100).describe('The same as percent.') }),
    z.strictObject({ group: z.string().min(1).describe('Promote the named group.') }),
    z.strictObject({
      gate: z.strictObject({
        checks: z.array(CheckSchema).min(1),
        window: DurationSchema.optional().describe(
          'Every check must pass for this long after the step is ready. Defaults to 1m.',
        ),
      }),
    }),
  ])
  .describe('A step: promote more targets, or a gate that checks them.');

export const RolloutSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('Defaults to the source name.'),
    source: z.string().min(1).describe('The Git source whose revisions roll out.'),
    selector: Labels.optional().describe(
      'Only resources with all these labels roll out in steps; the others take a new revision at once. Defaults to every resource of the source.',
    ),
    targets: z
      .enum(['auto', 'resources', 'nodes'])
      .optional()
      .describe(
        'What the steps promote: resources on the serve host, or enrolled nodes (`node/<name>`, labels = node labels) whose set changes. auto (the default): nodes when every resource the strategy governs has a nodeSelector, else resources.',
      ),
    groups: z
      .record(
        z.string().min(1),
        z
          .strictObject({
            selector: Labels.optional().describe('Resources (node targets: nodes) with all these labels.'),
            resources: z
              .array(z.string().min(1))
              .optional()
              .describe('Resource ids (node targets: node names or node/<name>).'),
          })
          .refine((g) => g.selector !== undefined || g.resources !== undefined, {
            message: 'a group needs selector or resources',
          }),
      )
      .optional()
      .describe('Named groups of resources, promoted together (a canary group).'),
    interval: DurationSchema.optional().describe('How often gates are checked. Defaults to 2s.'),
    progressDeadline: DurationSchema.optional().describe(
      "How long a step's targets may take to be applied and healthy before the step fails. Defaults to 5m.",
    ),
    steps: z.array(StepSchema).min(1),
  })
  .superRefine((r, ctx) => {
    const groups = new Set(Object.keys(r.groups ?? {}));
    r.steps.forEach((s, i) => {
      const name =
        'group' in s
          ? s.group
          : 'canary' in s && typeof s.canary === 'object' && 'group' in s.canary
            ? s.canary.group
            : 'canary' in s && typeof s.canary === 'string' && !/%$/.test(s.canary)
              ? s.canary
              : undefined;
      if (name !== undefined && !groups.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i],
          message: `no group ${name} (groups: ${[...groups].join(', ') || 'none'})`,
        });
    });
  })
  .describe('A progressive rollout of a source’s revisions.');

export const RolloutsSchema = z.array(RolloutSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((r, i) => {
    if (seen.has(r.source))
      ctx.addIssue({ code: 'custom', path: [i, 'source'], message: `source ${r.source} has two rollouts` });
    seen.add(r.source);
  });
});

export type RawRollout = z.infer<typeof RolloutSchema>;
export type Comparator = z.infer<typeof Comparison>;

/** Who a promote step adds: cumulative after it, with the targets of earlier steps. */
export type Promotion =
  { count: number } | { percent: number } | { group: string } | { selector: Record<string, string> };

export type CheckSpec =
  | { type: 'health'; ids: string[] }
  | { type: 'prometheus'; url: string; query: string; comparison: Comparator; threshold: number }
  | { type: 'slo'; name: string; maxBurnRate: number; windowMs?: number }
  | { type: 'approval'; note?: string };

export type StepSpec =
  { type: 'promote'; promotion: Promotion } | { type: 'gate'; checks: CheckSpec[]; windowMs: number };

export interface RolloutSpec {
  name: string;
  source: string;
  selector?: Record<string, string>;
  /** What the steps promote (auto: decided per rollout by `targetKind`). */
  targets: 'auto' | 'resources' | 'nodes';
  groups: Record<string, { selector?: Record<string, string>; resources?: string[] }>;
  intervalMs: number;
  progressDeadlineMs: number;
  steps: StepSpec[];
}

const ms = (v: string | number | undefined, fallback: number) =>
  v === undefined ? fallback : parseDuration(v)!;

function promotion(canary: z.infer<typeof CanarySchema>): Promotion {
  if (typeof canary === 'number') return { count: canary };
  if (typeof canary === 'string')
    return /%$/.test(canary) ? { percent: Number(canary.slice(0, -1)) } : { group: canary };
  return 'group' in canary ? { group: canary.group } : { selector: canary.selector };
}

function check(c: z.infer<typeof CheckSchema>): CheckSpec {
  if ('health' in c) return { type: 'health', ids: typeof c.health === 'string' ? [c.health] : c.health };
  if ('prometheus' in c) return { type: 'prometheus', ...c.prometheus };
  if ('slo' in c)
    return {
      type: 'slo',
      name: c.slo.name,
      maxBurnRate: c.slo.maxBurnRate ?? 1,
      windowMs: c.slo.window === undefined ? undefined : parseDuration(c.slo.window),
    };
  return { type: 'approval', note: c.approval === true ? undefined : c.approval.note };
}

export function rolloutSpecs(raw: readonly RawRollout[] = []): RolloutSpec[] {
  return raw.map((r) => ({
    name: r.name ?? r.source,
    source: r.source,
    selector: r.selector,
    targets: r.targets ?? 'auto',
    groups: r.groups ?? {},
    intervalMs: ms(r.interval, 2000),
    progressDeadlineMs: ms(r.progressDeadline, 5 * 60_000),
    steps: r.steps.map((s): StepSpec => {
      if ('gate' in s)
        return { type: 'gate', checks: s.gate.checks.map(check), windowMs: ms(s.gate.window, 60_000) };
      if ('canary' in s) return { type: 'promote', promotion: promotion(s.canary) };
      if ('group' in s) return { type: 'promote', promotion: { group: s.group } };
      return { type: 'promote', promotion: { percent: 'percent' in s ? s.percent : s.setWeight } };
    }),
  }));
}

/** A step as one short phrase, for status ("canary group canary", "25%", "gate 2m: 2 checks"). */
export function describeStep(step: StepSpec): string {
  if (step.type === 'gate')
    return `gate ${Math.round(step.windowMs / 1000)}s: ${step.checks.map((c) => c.type).join(', ')}`;
  const p = step.promotion;
  if ('count' in p) return `${p.count} target${p.count === 1 ? '' : 's'}`;
  if ('percent' in p) return `${p.percent}%`;
  if ('group' in p) return `group ${p.group}`;
  return `selector ${Object.entries(p.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;
}
