/**
 * The specs of the goal kinds: a Target (one measure, a direction and a
 * threshold) and an Objective (several key results, each a Target's measure
 * and threshold; met when all are). Both are observe-only.
 */
import * as z from 'zod';
import { SecretRefSchema } from '../../secrets/index.js';
import { DurationSchema } from '../../util/duration.js';

const CommandSchema = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe('A shell command (run with /bin/sh -c) or an argv list.');

const HeaderValueSchema = z.union([z.string(), z.strictObject({ secretRef: SecretRefSchema })]);

const PrometheusMeasureSchema = z
  .strictObject({
    url: z.url().describe('Base URL of Prometheus (or a compatible API), e.g. http://prometheus:9090.'),
    query: z
      .string()
      .min(1)
      .describe('PromQL giving one sample (a scalar, or an instant vector of one series).'),
    headers: z
      .record(z.string(), HeaderValueSchema)
      .optional()
      .describe('Extra request headers; values may be secretRefs.'),
  })
  .describe('GET {url}/api/v1/query?query=...');

const SqlMeasureSchema = z
  .strictObject({
    database: z
      .string()
      .min(1)
      .describe(
        'A postgres:// URL (without the password), or the path of a SQLite file (relative to the manifest; opened read-only).',
      ),
    query: z.string().min(1).describe("A query whose first row's first column is the number."),
    password: z
      .strictObject({ secretRef: SecretRefSchema })
      .optional()
      .describe('The PostgreSQL password, as a secretRef (never written into the manifest).'),
  })
  .describe('An SQL query against PostgreSQL or SQLite.');

const HttpMeasureSchema = z
  .strictObject({
    url: z.url(),
    path: z
      .string()
      .optional()
      .describe(
        'Where the number is in the JSON answer, dotted: `data.p95` or `items.0.count`. Defaults to the whole body.',
      ),
    headers: z
      .record(z.string(), HeaderValueSchema)
      .optional()
      .describe('Extra request headers; values may be secretRefs.'),
  })
  .describe('GET a URL answering JSON (or a bare number).');

const CommandMeasureSchema = z
  .strictObject({
    run: CommandSchema,
    cwd: z
      .string()
      .optional()
      .describe("Working folder, relative to the manifest. Defaults to the manifest's folder."),
  })
  .describe('A command that prints the number on standard output.');

export const MeasureSchema = z
  .strictObject({
    prometheus: PrometheusMeasureSchema.optional(),
    sql: SqlMeasureSchema.optional(),
    http: HttpMeasureSchema.optional(),
    command: CommandMeasureSchema.optional(),
    timeout: DurationSchema.optional().describe('For one reading. Defaults to 10s.'),
  })
  .refine((m) => [m.prometheus, m.sql, m.http, m.command].filter((v) => v !== undefined).length === 1, {
    message: 'a measure names exactly one of prometheus, sql, http or command',
  })
  .describe('Where the value is read from: exactly one of prometheus, sql, http, command.');

export const DIRECTIONS = ['above', 'below', '>=', '<=', '>', '<'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** What one goal compares: shared by a Target and each key result of an Objective. */
const goalFields = {
  measure: MeasureSchema,
  direction: z
    .enum(DIRECTIONS)
    .describe(
      'above (same as >=): the value must be at least the threshold; below (<=): at most; > and < are strict.',
    ),
  threshold: z.number().describe('The value the measure must reach.'),
  unit: z.string().optional().describe('Shown after values ("ms", "%", "signups/day"). Defaults to none.'),
};

const timeFields = {
  owner: z
    .string()
    .optional()
    .describe(
      'Who is alerted when it falls behind (the `owner` alert label). Defaults to the `owner` label, then alerts.defaultOwner.',
    ),
  deadline: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/, {
      message: 'a date (2027-03-31) or a time with its offset (2027-03-31T18:00:00Z)',
    })
    .refine((d) => !Number.isNaN(Date.parse(d)), { message: 'not a real date' })
    .optional()
    .describe(
      'When it must be met (time-bound goal), e.g. 2027-03-31 (the end of that day, UTC). Status shows the time left. Defaults to none.',
    ),
  review: DurationSchema.optional().describe(
    'The review period: the trend is computed over it. Defaults to 7d.',
  ),
  interval: DurationSchema.optional().describe('How often `serve` reads the measure again. Defaults to 1m.'),
  remediation: z
    .strictObject({
      run: CommandSchema.describe('Runs when the goal is behind (e.g. scale out, clear a cache).'),
      cwd: z.string().optional(),
      timeout: DurationSchema.optional().describe('Defaults to 5m.'),
    })
    .optional()
    .describe(
      'What setpoint may do when the goal is behind, under lifecycle.remediation (auto runs it, approve asks first, alert only alerts). Without it, a goal behind is only reported and alerted.',
    ),
};

export const TargetSpecSchema = z
  .strictObject({
    description: z.string().optional().describe('The goal in words, e.g. "p95 latency under 300 ms".'),
    ...goalFields,
    ...timeFields,
  })
  .describe('A goal: a measure, a direction and a threshold (observe-only).');

export type TargetSpec = z.infer<typeof TargetSpecSchema>;
export type Measure = z.infer<typeof MeasureSchema>;

export const KeyResultSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)
    .describe('Unique within the objective.'),
  description: z.string().optional(),
  ...goalFields,
});

export const ObjectiveSpecSchema = z
  .strictObject({
    description: z.string().optional().describe('The objective in words.'),
    keyResults: z
      .array(KeyResultSchema)
      .min(1)
      .describe('The key results; the objective is met when all are.'),
    ...timeFields,
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    for (const [i, k] of s.keyResults.entries()) {
      if (seen.has(k.name))
        ctx.addIssue({
          code: 'custom',
          path: ['keyResults', i, 'name'],
          message: `key result "${k.name}" is declared twice`,
        });
      seen.add(k.name);
    }
  })
  .describe('An objective met when all its key results are (OKR); observe-only.');

export type ObjectiveSpec = z.infer<typeof ObjectiveSpecSchema>;
export type KeyResult = z.infer<typeof KeyResultSchema>;
