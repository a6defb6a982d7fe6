/**
 * The `windows:` entries of setpoint.yaml. The schema checks what can be known
 * without a clock: the cron expression parses and opens at some date, the
 * duration is longer than zero, the time zone exists and names are unique.
 */
import type { Cron } from 'croner';
import { lazy } from '../util/lazy.js';

const croner = lazy<typeof import('croner')>('croner');
import * as z from 'zod';
import { NAME_PATTERN, NodeSelectorSchema } from '../manifest/index.js';
import { parseDuration } from '../util/duration.js';

const CRON_EXAMPLE = 'a cron expression such as "0 18 * * 5"';
const ZONE_EXAMPLE = 'an IANA time zone such as "Europe/Berlin" or "UTC"';
const DURATION_EXAMPLE = 'a duration longer than zero such as "30m", "2h", "1h30m" or "2d"';

/** Why `expression` is not a usable 5- or 6-field cron expression, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).filter(Boolean).length;
  if (!expression.trim().startsWith('@') && (fields < 5 || fields > 6))
    return `found ${fields} fields; expected a cron expression of 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, such as "0 18 * * 5"`;
  let cron: Cron;
  try {
    cron = new (croner().Cron)(expression, { mode: '5-or-6-parts' });
  } catch (err) {
    const reason = (err as Error).message.replace(/^Cron\w*: (\w)/, (_, c: string) => c.toLowerCase());
    return `invalid cron expression (${reason}); expected ${CRON_EXAMPLE}`;
  }
  // "0 0 30 2 *" parses but never opens: an allow window like that would block forever.
  if (cron.nextRun(new Date(0)) === null)
    return `cron expression "${expression}" matches no date; expected ${CRON_EXAMPLE}`;
  return undefined;
}

/** True when `zone` is a time zone this runtime knows (IANA names, case-insensitive, and "UTC"). */
export function isTimeZone(zone: string): boolean {
  if (zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const Schedule = z
  .string()
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
  })
  .describe(
    'When the window opens: a cron expression of 5 fields, or 6 with seconds first, read in `timezone`.',
  );

const Duration = z
  .union([z.string(), z.number()])
  .superRefine((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0)
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_EXAMPLE}`, input: value });
  })
  .describe(
    'How long the window stays open after each opening: "30m", "2h", "1h30m", "2d", or a number of seconds.',
  );

const TimeZone = z
  .string()
  .superRefine((value, ctx) => {
    if (!isTimeZone(value))
      ctx.addIssue({
        code: 'custom',
        message: `unknown time zone "${value}"; expected ${ZONE_EXAMPLE}`,
        input: value,
      });
  })
  .describe('The IANA time zone the schedule is read in. Defaults to "UTC".');

export const WindowMatchSchema = z
  .strictObject({
    namespaces: z
      .array(z.string().regex(NAME_PATTERN))
      .min(1)
      .optional()
      .describe('Resources in any of these namespaces. Defaults to every namespace.'),
    kinds: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Resources of any of these kinds. Defaults to every kind.'),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe('Resources carrying all of these labels with these values. Defaults to no label condition.'),
  })
  .describe(
    'Which resources the window applies to; every given condition must hold. Defaults to every resource.',
  );

export const WindowSchema = z
  .strictObject({
    name: z
      .string()
      .regex(NAME_PATTERN)
      .describe('Names the window in status, logs and block reasons; unique.'),
    type: z
      .enum(['deny', 'allow'])
      .describe(
        'deny: no actions while open. allow: matching resources act only while one of their allow windows is open.',
      ),
    schedule: Schedule,
    duration: Duration,
    timezone: TimeZone.optional(),
    match: WindowMatchSchema.optional(),
    nodeSelector: NodeSelectorSchema.optional().describe(
      "The enrolled nodes whose agents enforce this window (Kubernetes label-selector semantics; facts are labels as facts.*; {} selects every node). Without it, the window holds the server host's own resources only, as a resource without nodeSelector stays there.",
    ),
  })
  .describe('A change window: opens at each time of `schedule` and stays open for `duration`.');

export const WindowsSchema = z
  .array(WindowSchema)
  .superRefine((windows, ctx) => {
    const seen = new Set<string>();
    windows.forEach((w, i) => {
      if (seen.has(w.name))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `duplicate window name "${w.name}"`,
          input: w.name,
        });
      seen.add(w.name);
    });
  })
  .describe('Change windows: deny and allow schedules that block non-urgent actions. Defaults to [].');

export type WindowType = 'deny' | 'allow';
/** One `windows:` entry as the schema outputs it. */
export type WindowSpec = z.output<typeof WindowSchema>;
export type WindowMatch = z.output<typeof WindowMatchSchema>;
