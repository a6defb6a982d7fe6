/**
 * Project settings: an optional `setpoint.yaml` at the project root. The
 * project root is the nearest folder upwards holding one (or the current
 * folder when there is none). `withDefaults` applies every default in one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import jsyaml from 'js-yaml';
import * as z from 'zod';
import { DurationSchema, parseDuration } from '../util/duration.js';
import { WindowsSchema, type WindowSpec } from '../windows/index.js';
import { SourcesSchema, type SourceConfig } from '../source/config.js';
import { SecretRefSchema, type SecretRef } from '../secrets/index.js';
import { EnvironmentsSchema, VariablesSchema, type VariableValue } from '../render/schema.js';
import { TelemetrySchema, tracingConfig } from '../telemetry/schema.js';
import type { TracingConfig } from '../telemetry/tracing.js';
import { AlertsSchema, alertSettings, type AlertSettings } from '../telemetry/alerts/schema.js';
import { SlosSchema, sloSpecs, type SloSpec } from '../telemetry/slo/schema.js';
import { RolloutsSchema, rolloutSpecs, type RolloutSpec } from '../rollout/schema.js';
import {
  Diagnostics,
  FieldLocator,
  formatPath,
  issuesToProblems,
  describeValue,
  NAME_PATTERN,
} from '../manifest/index.js';

export const SETTINGS_FILE = 'setpoint.yaml';

/** A PostgreSQL state whose password comes from a secretRef (it is never written in setpoint.yaml). */
const StateUrlSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//i, 'a postgres:// or postgresql:// URL')
      .refine((u) => !hasPassword(u), {
        message: 'the URL carries a password: leave it out, passwordRef gives it',
      })
      .describe('The PostgreSQL URL without a password: postgres://user@host:port/db.'),
    passwordRef: SecretRefSchema.optional().describe(
      'Where the password comes from (env, file or command); resolved when the state is opened, never stored or shown. Without it, the PG* variables and ~/.pgpass apply.',
    ),
  })
  .describe('A PostgreSQL state with its password by secretRef.');

/** Whether a URL names a password (user:password@ or ?password=). */
function hasPassword(url: string): boolean {
  try {
    const u = new URL(url);
    return u.password !== '' || [...u.searchParams.keys()].some((k) => /pass/i.test(k));
  } catch {
    return /\/\/[^/@]*:[^/@]*@/.test(url);
  }
}

export const SettingsSchema = z
  .strictObject({
    sources: SourcesSchema.optional().describe(
      'Named sources of desired state: folders and Git repositories.',
    ),
    manifests: z
      .array(z.string())
      .optional()
      .describe(
        'Manifest paths used when -f is not given, relative to the project root. Defaults to ["manifests"].',
      ),
    state: z
      .union([z.string(), StateUrlSchema])
      .optional()
      .describe(
        'The state store: a SQLite file path or a postgres:// URL, or { url, passwordRef } for PostgreSQL with the password from a secretRef. Defaults to .setpoint/state.db.',
      ),
    parallelism: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe('Actions in flight at once during apply. Defaults to 64.'),
    namespace: z
      .string()
      .regex(NAME_PATTERN)
      .optional()
      .describe('Namespace of resources that name none. Defaults to "default".'),
    defaults: z
      .strictObject({
        remediation: z.enum(['auto', 'alert', 'approve']).optional().describe('Defaults to auto.'),
        prune: z.boolean().optional().describe('Defaults to false.'),
      })
      .optional(),
    reconcile: z
      .strictObject({
        resync: DurationSchema.optional().describe(
          'Full resync period of serve (jittered ±10%). Defaults to 5m.',
        ),
        workers: z
          .number()
          .int()
          .min(1)
          .max(256)
          .optional()
          .describe('Resources reconciled at once by serve. Defaults to 8.'),
        actionsPerSecond: z
          .number()
          .positive()
          .optional()
          .describe('Global rate limit of actions under serve. Defaults to 50.'),
        burst: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('Actions allowed at once above the rate. Defaults to 100.'),
        backoff: z
          .strictObject({
            base: DurationSchema.optional().describe('First retry delay after a failure. Defaults to 100ms.'),
            max: DurationSchema.optional().describe('Longest retry delay. Defaults to 5m.'),
          })
          .optional(),
        thrash: z
          .strictObject({
            maxRemediations: z
              .number()
              .int()
              .min(1)
              .optional()
              .describe('Repairs allowed within the window. Defaults to 5.'),
            window: DurationSchema.optional().describe('Defaults to 10m.'),
          })
          .optional()
          .describe(
            'A resource repaired more often than this is marked Conflict: another actor is fighting it.',
          ),
        maxDeletesPerRun: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            'Blast-radius guard: deletes beyond this per revision wait for approval (apply refuses). Defaults to no limit.',
          ),
      })
      .optional(),
    windows: WindowsSchema.optional().describe(
      'Change windows: deny or allow schedules for actions (serve and apply).',
    ),
    variables: VariablesSchema.optional(),
    environments: EnvironmentsSchema.optional(),
    plugins: z
      .array(z.string())
      .optional()
      .describe(
        'Modules (paths relative to the project, or package names) exporting `providers`: third-party kinds.',
      ),
    fleet: z
      .strictObject({
        signingKey: z
          .string()
          .optional()
          .describe(
            'Private key (PEM, from `setpoint keygen`) the server signs each node set with; needed when a source requires signed revisions.',
          ),
        checkInterval: DurationSchema.optional().describe(
          'How often an agent checks in besides its long poll (jittered ±10%); a node is offline after 3 of them without a report. Defaults to 5m.',
        ),
        behindAfter: DurationSchema.optional().describe(
          'A node still on an older set than the current one after this long raises an alert. Defaults to 10m.',
        ),
      })
      .optional()
      .describe('Enrolled nodes running `setpoint agent`.'),
    server: z
      .strictObject({
        listen: z
          .union([
            z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'HOST:PORT, e.g. 127.0.0.1:7420'),
            z.literal(false),
          ])
          .optional()
          .describe(
            'Where `setpoint serve` answers HTTP (API, probes, metrics): HOST:PORT, or false for no HTTP. Defaults to 127.0.0.1:7420.',
          ),
        metrics: z
          .enum(['public', 'token'])
          .optional()
          .describe('Who may read /metrics: anyone (public) or any valid API token. Defaults to token.'),
        authFailures: z
          .strictObject({
            burst: z
              .number()
              .int()
              .min(1)
              .optional()
              .describe('Failed authentications allowed in a row from one address. Defaults to 10.'),
            perMinute: z
              .number()
              .positive()
              .optional()
              .describe('Failures forgiven per minute. Defaults to 10.'),
          })
          .optional()
          .describe('Rate limit of failed authentication per client address (then 429 with Retry-After).'),
        maxConnections: z
          .number()
          .int()
          .min(16)
          .max(1_000_000)
          .optional()
          .describe(
            'Open connections at most (long polls of fleet agents and watch streams included; about two per agent). Defaults to 4096.',
          ),
        webhook: z
          .strictObject({
            secretRef: SecretRefSchema.describe(
              'The shared secret of Git push webhooks (HMAC key, or GitLab token).',
            ),
          })
          .optional()
          .describe('POST /api/v1/webhooks/git: a signed push triggers a sync. Defaults to off (refused).'),
      })
      .optional()
      .describe('The HTTP API of `setpoint serve`.'),
    telemetry: TelemetrySchema.optional().describe('Tracing (OpenTelemetry) of serve.'),
    alerts: AlertsSchema.optional().describe(
      'Alert rules, receivers and routes of serve (see docs/observability.md).',
    ),
    slos: SlosSchema.optional().describe(
      'Service-level objectives: error budgets in `status`, burn-rate alerts under serve.',
    ),
    rollouts: RolloutsSchema.optional().describe(
      'Progressive rollouts: a Git source’s new revision reaches its resources in steps, checked by gates (see docs/rollout.md).',
    ),
    facts: z
      .strictObject({
        dir: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Folder of custom facts, relative to the project: executables printing a JSON object. Defaults to .setpoint/facts.d.',
          ),
        timeout: DurationSchema.optional().describe('Longest run of one custom fact. Defaults to 10s.'),
      })
      .optional()
      .describe('Host facts (`setpoint facts`, ${facts.*} in manifests and templates).'),
    retention: z
      .strictObject({
        events: DurationSchema.optional().describe(
          'Events, policy violations and reconcile spans older than this are deleted. Defaults to 30d.',
        ),
        runs: DurationSchema.optional().describe(
          'Finished runs and drift episodes older than this are deleted. Defaults to 90d.',
        ),
        alerts: DurationSchema.optional().describe(
          'Alert incidents resolved longer ago than this are deleted. Defaults to 90d.',
        ),
        sliSamples: DurationSchema.optional().describe(
          'SLI samples older than this are deleted; keep at least the longest SLO window. Defaults to 35d.',
        ),
        interval: DurationSchema.optional().describe('How often serve enforces it. Defaults to 1h.'),
      })
      .optional()
      .describe(
        'How long the state keeps history (`setpoint state prune` enforces it once). The audit log is always kept.',
      ),
    log: z
      .strictObject({
        file: z
          .string()
          .optional()
          .describe('JSON log of one-shot commands. Defaults to setpoint.log next to the state.'),
        level: z.enum(['debug', 'info', 'warn', 'error']).optional().describe('Defaults to info.'),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.sources && s.manifests)
      ctx.addIssue({
        code: 'custom',
        path: ['manifests'],
        message: 'use either sources or manifests (a shorthand for one local source), not both',
      });
    (s.rollouts ?? []).forEach((r, i) => {
      const source = s.sources?.find((d) => d.name === r.source);
      if (!source?.git)
        ctx.addIssue({
          code: 'custom',
          path: ['rollouts', i, 'source'],
          message: source
            ? `source ${r.source} is a folder: only a Git source keeps the previous revision to roll back to`
            : `no source named ${r.source} under sources:`,
        });
    });
  })
  .describe('setpoint.yaml: project settings.');

export type RawSettings = z.infer<typeof SettingsSchema>;

const DAY = 86_400_000;

/** How long the state keeps each kind of history (the audit log is kept). */
export interface RetentionSettings {
  eventsMs: number;
  runsMs: number;
  alertsMs: number;
  sliSamplesMs: number;
  /** How often serve prunes. */
  intervalMs: number;
}

export interface Settings {
  root: string;
  /** The settings file, when there is one. */
  file?: string;
  manifests: string[];
  state: string;
  /** Where the PostgreSQL state's password comes from (`state: { url, passwordRef }`). */
  statePasswordRef?: SecretRef;
  parallelism: number;
  namespace: string;
  defaults: { remediation: 'auto' | 'alert' | 'approve'; prune: boolean };
  reconcile: ReconcileSettings;
  /** Named sources; empty means one local source "local" reading `manifests`. */
  sources: SourceConfig[];
  windows: WindowSpec[];
  plugins: string[];
  /** Values for ${name} in manifests. */
  variables: Record<string, VariableValue>;
  /** Environments by name: overlay paths (absolute, in order) and their variables. */
  environments: Record<string, { overlays: string[]; variables: Record<string, VariableValue> }>;
  server: ServerSettings;
  /** Span export of serve; no endpoint here may still mean the OTEL_* environment. */
  tracing: TracingConfig;
  alerts: AlertSettings;
  /** How long history is kept, in milliseconds. */
  retention: RetentionSettings;
  slos: SloSpec[];
  /** Progressive rollout strategies, one per Git source at most. */
  rollouts: RolloutSpec[];
  /** `file` undefined: setpoint.log next to the state. */
  log: { file?: string; level: 'debug' | 'info' | 'warn' | 'error' };
  /** Custom facts: their folder (absolute) and the timeout of one. */
  facts: { dir: string; timeoutMs: number };
  fleet: FleetSettings;
}

export interface FleetSettings {
  /** Absolute path of the private key node sets are signed with. */
  signingKey?: string;
  checkIntervalMs: number;
  behindAfterMs: number;
}

export interface ServerSettings {
  /** HOST:PORT, or false for no HTTP. */
  listen: string | false;
  /** True when setpoint.yaml names the address (a busy port is then an error, not a warning). */
  listenExplicit: boolean;
  metrics: 'public' | 'token';
  authFailures: { burst: number; perMinute: number };
  /** Open connections at most; undefined: the built-in limit. */
  maxConnections?: number;
  webhookSecret?: SecretRef;
}

export interface ReconcileSettings {
  resyncMs: number;
  workers: number;
  actionsPerSecond: number;
  burst: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  thrashMax: number;
  thrashWindowMs: number;
  maxDeletesPerRun?: number;
}

export function withDefaults(root: string, raw: RawSettings, file?: string): Settings {
  const r = raw.reconcile ?? {};
  const ms = (v: string | number | undefined, fallback: number) =>
    v === undefined ? fallback : parseDuration(v)!;
  const abs = (p: string) => (p.includes('://') ? p : resolve(root, p));
  return {
    root,
    file,
    manifests: (raw.manifests ?? ['manifests']).map(abs),
    state: abs((typeof raw.state === 'object' ? raw.state.url : raw.state) ?? '.setpoint/state.db'),
    statePasswordRef: typeof raw.state === 'object' ? raw.state.passwordRef : undefined,
    parallelism: raw.parallelism ?? 64,
    namespace: raw.namespace ?? 'default',
    defaults: { remediation: raw.defaults?.remediation ?? 'auto', prune: raw.defaults?.prune ?? false },
    reconcile: {
      resyncMs: ms(r.resync, 5 * 60_000),
      workers: r.workers ?? 8,
      actionsPerSecond: r.actionsPerSecond ?? 50,
      burst: r.burst ?? 100,
      backoffBaseMs: ms(r.backoff?.base, 100),
      backoffMaxMs: ms(r.backoff?.max, 5 * 60_000),
      thrashMax: r.thrash?.maxRemediations ?? 5,
      thrashWindowMs: ms(r.thrash?.window, 10 * 60_000),
      maxDeletesPerRun: r.maxDeletesPerRun,
    },
    windows: raw.windows ?? [],
    sources: raw.sources ?? [],
    plugins: raw.plugins ?? [],
    variables: raw.variables ?? {},
    environments: Object.fromEntries(
      Object.entries(raw.environments ?? {}).map(([name, e]) => [
        name,
        { overlays: (e.overlays ?? []).map((p) => resolve(root, p)), variables: e.variables ?? {} },
      ]),
    ),
    server: {
      listen: raw.server?.listen ?? '127.0.0.1:7420',
      listenExplicit: raw.server?.listen !== undefined,
      metrics: raw.server?.metrics ?? 'token',
      authFailures: {
        burst: raw.server?.authFailures?.burst ?? 10,
        perMinute: raw.server?.authFailures?.perMinute ?? 10,
      },
      maxConnections: raw.server?.maxConnections,
      webhookSecret: raw.server?.webhook?.secretRef,
    },
    tracing: tracingConfig(raw.telemetry),
    alerts: alertSettings(raw.alerts),
    retention: {
      eventsMs: ms(raw.retention?.events, 30 * DAY),
      runsMs: ms(raw.retention?.runs, 90 * DAY),
      alertsMs: ms(raw.retention?.alerts, 90 * DAY),
      sliSamplesMs: ms(raw.retention?.sliSamples, 35 * DAY),
      intervalMs: ms(raw.retention?.interval, 3_600_000),
    },
    slos: sloSpecs(raw.slos),
    rollouts: rolloutSpecs(raw.rollouts),
    facts: { dir: abs(raw.facts?.dir ?? '.setpoint/facts.d'), timeoutMs: ms(raw.facts?.timeout, 10_000) },
    fleet: {
      signingKey: raw.fleet?.signingKey !== undefined ? abs(raw.fleet.signingKey) : undefined,
      checkIntervalMs: ms(raw.fleet?.checkInterval, 5 * 60_000),
      behindAfterMs: ms(raw.fleet?.behindAfter, 10 * 60_000),
    },
    log: {
      file: raw.log?.file !== undefined ? abs(raw.log.file) : undefined,
      level: raw.log?.level ?? 'info',
    },
  };
}

/** The folder of local working files (log, caches): the state's folder, or .setpoint for a remote store. */
export function stateDir(settings: Pick<Settings, 'root'>, state: string): string {
  return state.includes('://') ? join(settings.root, '.setpoint') : dirname(state);
}

/** The nearest folder at or above `start` that holds setpoint.yaml. */
export function findProjectRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, SETTINGS_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface LoadedSettings {
  settings: Settings;
  diagnostics: Diagnostics;
}

/** Loads settings for the project at (or above) `start`; problems become diagnostics. */
export function loadSettings(start: string, explicitRoot = false): LoadedSettings {
  const diags = new Diagnostics();
  const root = explicitRoot ? resolve(start) : (findProjectRoot(start) ?? resolve(start));
  const file = join(root, SETTINGS_FILE);
  if (!existsSync(file)) return { settings: withDefaults(root, {}), diagnostics: diags };
  let raw: unknown;
  try {
    raw = jsyaml.load(readFileSync(file, 'utf8'), { filename: file, schema: jsyaml.CORE_SCHEMA }) ?? {};
  } catch (err) {
    const e = err as jsyaml.YAMLException;
    diags.error({
      code: 'SETPOINT_SETTINGS_INVALID',
      summary: `YAML syntax error: ${e.reason ?? e.message}`,
      file,
      line: e.mark ? e.mark.line + 1 : undefined,
      column: e.mark ? e.mark.column + 1 : undefined,
    });
    return { settings: withDefaults(root, {}, file), diagnostics: diags };
  }
  const parsed = SettingsSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const locator = new FieldLocator();
    for (const p of issuesToProblems(parsed.error.issues)) {
      const pos = locator.locate(file, 0, p.path);
      diags.error({
        code: 'SETPOINT_SETTINGS_INVALID',
        summary: p.summary,
        file,
        line: pos?.line,
        column: pos?.column,
        field: formatPath(p.path),
        expected: p.expected,
        // A state URL may carry a password: never echo it.
        found:
          p.unknownKey === undefined && p.hasInput && p.path[0] !== 'state'
            ? describeValue(p.input)
            : undefined,
      });
    }
    return { settings: withDefaults(root, {}, file), diagnostics: diags };
  }
  return { settings: withDefaults(root, parsed.data, file), diagnostics: diags };
}
