/**
 * The resolved desired state of a Process: absolute folders, env with
 * secrets read in (kept in memory only), durations in milliseconds, and the
 * digest of what a replica is started with. Per-replica values come from
 * `${replica}` substitution at start time.
 */
import { createHash, createHmac } from 'node:crypto';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx } from '../../provider/types.js';
import { SecretError } from '../../secrets/index.js';
import { parseDuration } from '../../util/duration.js';
import type { ProcessSpec } from './spec.js';
import { digestKey, type RecordedEnvValue, type StartedSpec } from './state.js';

export interface ProcessDesired {
  spec: ProcessSpec;
  /** The resource id, for messages and watch events. */
  id: string;
  /** metadata.name: log files are `<name>-<replica>.log`. */
  name: string;
  /** `<workDir>/<namespace>/<name>`: the replica records. */
  stateDir: string;
  logDir: string;
  cwd: string;
  /** Env values as declared, secrets resolved. Never written anywhere but the process's environment. */
  env: Record<string, string>;
  /** What is recorded of the spec a replica runs, secrets as keyed digests. */
  started: StartedSpec;
  /** Digest of `started`: a running replica with another digest runs an older spec. */
  digest: string;
  backoffInitialMs: number;
  backoffMaxMs: number;
  graceMs: number;
  readiness?: { periodMs: number; timeoutMs: number; initialDelayMs: number };
  /** spec.rollingUpdate, durations in milliseconds (counts are resolved against replicas in rolling.ts). */
  update: { progressDeadlineMs: number; minReadyMs: number };
}

/** Variables passed through from setpoint's own environment. */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

export async function resolveDesired(spec: ProcessSpec, ctx: Ctx): Promise<ProcessDesired> {
  const { namespace, name } = ctx.resource.key;
  const stateDir = join(ctx.workDir, namespace, name);
  const absolute = (p: string) => (isAbsolute(p) ? p : resolvePath(ctx.baseDir, p));
  const env: Record<string, string> = {};
  const recorded: Record<string, RecordedEnvValue> = {};
  let key: Buffer | undefined;
  for (const [k, value] of Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof value === 'string') {
      env[k] = value;
      recorded[k] = { value };
      continue;
    }
    try {
      env[k] = await ctx.secrets.resolve(value.secretRef, ctx.baseDir);
    } catch (err) {
      if (err instanceof SecretError)
        throw new ProviderError(err.message, {
          code: err.code,
          field: `spec.env.${k}.secretRef`,
          hint: err.hint,
        });
      throw err;
    }
    key ??= digestKey(ctx.workDir);
    recorded[k] = { digest: 'hmac-sha256:' + createHmac('sha256', key).update(env[k]).digest('hex') };
  }
  const cwd = absolute(spec.cwd ?? ctx.baseDir);
  const started: StartedSpec = { command: spec.command, args: spec.args, cwd, env: recorded };
  const ms = (d: string | number) => parseDuration(d)!;
  return {
    spec,
    id: ctx.id,
    name,
    stateDir,
    logDir: spec.logs.dir !== undefined ? absolute(spec.logs.dir) : join(stateDir, 'logs'),
    cwd,
    env,
    started,
    digest: createHash('sha256').update(JSON.stringify(started)).digest('hex'),
    backoffInitialMs: ms(spec.backoff.initial),
    backoffMaxMs: ms(spec.backoff.max),
    graceMs: ms(spec.gracePeriod),
    update: {
      progressDeadlineMs: ms(spec.rollingUpdate.progressDeadline),
      minReadyMs:
        spec.rollingUpdate.minReady !== undefined
          ? ms(spec.rollingUpdate.minReady)
          : spec.readiness
            ? 0
            : 1000,
    },
    readiness: spec.readiness && {
      periodMs: Math.max(100, ms(spec.readiness.period)),
      timeoutMs: ms(spec.readiness.timeout),
      initialDelayMs: ms(spec.readiness.initialDelay),
    },
  };
}

const REPLICA_REF = /\$\{replica(?:\s*\+\s*(\d+))?\}/g;

/** Replaces `${replica}` with the index and `${replica+N}` with index + N. */
export function substitute(text: string, index: number): string {
  return text.replace(REPLICA_REF, (_m, plus: string | undefined) =>
    String(index + (plus ? Number(plus) : 0)),
  );
}

export function replicaArgs(desired: ProcessDesired, index: number): string[] {
  return desired.spec.args.map((a) => substitute(a, index));
}

/** The full environment of replica `index`. */
export function replicaEnv(desired: ProcessDesired, index: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of INHERITED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(desired.env))
    env[k] = typeof desired.spec.env[k] === 'string' ? substitute(v, index) : v;
  env.SETPOINT_REPLICA = String(index);
  return env;
}

/** The log file of replica `index`. */
export function logPath(desired: ProcessDesired, index: number): string {
  return join(desired.logDir, `${desired.name}-${index}.log`);
}
