/**
 * The `alerts:` block of setpoint.yaml: receivers, routes by label (the
 * `owner` label first of all), grouping timers and the built-in rules'
 * severities and thresholds. `alertSettings` applies every default.
 */
import * as z from 'zod';
import { DurationSchema, parseDuration } from '../../util/duration.js';
import type { AlertSeverity } from '../../store/alerts.js';

export const RULE_NAMES = [
  'ReconcileFailing',
  'ConvergenceSlow',
  'DriftDetected',
  'PolicyViolation',
  'ResourceConflict',
  'ApprovalPending',
  'SLOBurnRate',
  'SourceStale',
  'TargetBehind',
  'NodeOffline',
  'NodeBehind',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

const Severity = z.enum(['page', 'ticket']);

const RuleSchema = z.strictObject({
  enabled: z.boolean().optional().describe('Defaults to true.'),
  severity: Severity.optional().describe(
    'page (someone now) or ticket (someone soon). Defaults per rule (see docs/observability.md).',
  ),
  for: DurationSchema.optional().describe(
    'How long the condition must hold before the alert fires. Defaults per rule.',
  ),
  after: DurationSchema.optional().describe(
    'ApprovalPending: age of a pending approval; ConvergenceSlow: time to converge (else the convergence SLO threshold); PolicyViolation: how long an event-only violation stays active. Defaults per rule.',
  ),
});

const ReceiverSchema = z.strictObject({
  name: z.string().min(1).describe('Referred to by routes.'),
  type: z
    .enum(['webhook', 'slack', 'alertmanager'])
    .describe(
      'webhook: generic JSON (Alertmanager webhook format); slack: Slack-compatible incoming webhook; alertmanager: Alertmanager API v2 (url is its base URL).',
    ),
  url: z.url().describe('Where notifications are POSTed.'),
  headers: z.record(z.string(), z.string()).optional().describe('Extra HTTP headers, e.g. Authorization.'),
  timeout: DurationSchema.optional().describe('Per request. Defaults to 10s.'),
  repeatInterval: DurationSchema.optional().describe(
    'Re-notify alerts still firing. Defaults to alerts.repeatInterval (1m for alertmanager, which expires alerts not re-sent).',
  ),
});

const RouteSchema = z.strictObject({
  match: z
    .record(z.string(), z.string())
    .describe('Label equality matchers, e.g. { owner: team-web }; all must hold.'),
  receiver: z.string().describe('A receiver name.'),
});

export const AlertsSchema = z
  .strictObject({
    evaluationInterval: DurationSchema.optional().describe(
      'How often serve evaluates the rules. Defaults to 15s.',
    ),
    groupWait: DurationSchema.optional().describe(
      'Wait after the first alert of a new group before notifying, to collect the rest of the incident. Defaults to 30s.',
    ),
    groupInterval: DurationSchema.optional().describe(
      'Wait after a notification before notifying the same group about new or resolved alerts. Defaults to 5m.',
    ),
    repeatInterval: DurationSchema.optional().describe(
      'Re-notify alerts still firing after this long. Defaults to 4h.',
    ),
    defaultOwner: z
      .string()
      .optional()
      .describe(
        'The owner of alerts about resources without an `owner` label, and of project-wide alerts (SLOs). Defaults to "unowned".',
      ),
    receivers: z
      .array(ReceiverSchema)
      .optional()
      .describe('Where notifications go. Defaults to none (alerts are recorded, not sent).'),
    routes: z
      .array(RouteSchema)
      .optional()
      .describe('The first route whose labels match picks the receiver. Defaults to none.'),
    defaultReceiver: z
      .string()
      .optional()
      .describe('Receiver of alerts no route matches. Defaults to none (recorded only).'),
    rules: z
      .partialRecord(z.enum(RULE_NAMES), RuleSchema)
      .optional()
      .describe('Built-in rules: enabled, severity, for, after.'),
  })
  .superRefine((a, ctx) => {
    const names = new Set<string>();
    for (const [i, r] of (a.receivers ?? []).entries()) {
      if (names.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['receivers', i, 'name'],
          message: `receiver "${r.name}" is declared twice`,
        });
      names.add(r.name);
    }
    for (const [i, r] of (a.routes ?? []).entries())
      if (!names.has(r.receiver))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'receiver'],
          message: `no receiver named "${r.receiver}"`,
        });
    if (a.defaultReceiver !== undefined && !names.has(a.defaultReceiver))
      ctx.addIssue({
        code: 'custom',
        path: ['defaultReceiver'],
        message: `no receiver named "${a.defaultReceiver}"`,
      });
  });

export type RawAlerts = z.infer<typeof AlertsSchema>;

export interface ReceiverConfig {
  name: string;
  type: 'webhook' | 'slack' | 'alertmanager';
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  repeatIntervalMs: number;
}

export interface RuleConfig {
  enabled: boolean;
  /** Undefined: the rule's own default. */
  severity?: AlertSeverity;
  forMs?: number;
  afterMs?: number;
}

export interface AlertSettings {
  evaluationIntervalMs: number;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  defaultOwner: string;
  receivers: ReceiverConfig[];
  routes: Array<{ match: Record<string, string>; receiver: string }>;
  defaultReceiver?: string;
  rules: Record<RuleName, RuleConfig>;
}

function ms(v: string | number | undefined): number | undefined {
  return v === undefined ? undefined : parseDuration(v);
}

export function alertSettings(raw: RawAlerts = {}): AlertSettings {
  const repeatIntervalMs = ms(raw.repeatInterval) ?? 4 * 3_600_000;
  const rules = {} as Record<RuleName, RuleConfig>;
  for (const name of RULE_NAMES) {
    const r = raw.rules?.[name];
    rules[name] = {
      enabled: r?.enabled ?? true,
      severity: r?.severity,
      forMs: ms(r?.for),
      afterMs: ms(r?.after),
    };
  }
  return {
    evaluationIntervalMs: ms(raw.evaluationInterval) ?? 15_000,
    groupWaitMs: ms(raw.groupWait) ?? 30_000,
    groupIntervalMs: ms(raw.groupInterval) ?? 5 * 60_000,
    repeatIntervalMs,
    defaultOwner: raw.defaultOwner ?? 'unowned',
    receivers: (raw.receivers ?? []).map((r) => ({
      name: r.name,
      type: r.type,
      url: r.url,
      headers: r.headers ?? {},
      timeoutMs: ms(r.timeout) ?? 10_000,
      repeatIntervalMs:
        ms(r.repeatInterval) ??
        (r.type === 'alertmanager' ? Math.min(60_000, repeatIntervalMs) : repeatIntervalMs),
    })),
    routes: raw.routes ?? [],
    defaultReceiver: raw.defaultReceiver,
    rules,
  };
}
