/**
 * Reads a goal's measure as one number: a Prometheus instant query, an SQL
 * query (PostgreSQL or SQLite), a JSON path of an HTTP answer, or a
 * command's output. Every failure is a ProviderError naming the measure's
 * field; secrets (headers, the database password) are resolved here and
 * never leave this module.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx } from '../../provider/types.js';
import { describeCommand, runCommand } from '../../util/command.js';
import { parseDuration } from '../../util/duration.js';
import { PrometheusError, queryNumber } from '../../util/prometheus.js';
import type { Measure } from './spec.js';
import { readSql } from './sql.js';

/** Parses a reading; numbers in strings ("42", " 3.5\n") count, anything else is an error. */
export function toNumber(raw: unknown, field: string, what: string): number {
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n))
    throw new ProviderError(`${what} gave ${JSON.stringify(raw)?.slice(0, 80) ?? 'nothing'}, not a number`, {
      code: 'SETPOINT_TARGET_NOT_A_NUMBER',
      field,
      hint: 'make the measure yield one number',
    });
  return n;
}

/** Reads the measure at `field` (e.g. `spec.measure`). */
export async function readMeasure(measure: Measure, ctx: Ctx, field: string): Promise<number> {
  const timeoutMs = measure.timeout === undefined ? 10_000 : parseDuration(measure.timeout)!;
  if (measure.prometheus) return readPrometheus(measure.prometheus, ctx, `${field}.prometheus`, timeoutMs);
  if (measure.http) return readHttp(measure.http, ctx, `${field}.http`, timeoutMs);
  if (measure.sql) {
    const f = `${field}.sql`;
    const password = measure.sql.password
      ? await ctx.secrets.resolve(measure.sql.password.secretRef, ctx.baseDir)
      : undefined;
    const raw = await readSql({ ...measure.sql, password, baseDir: ctx.baseDir, timeoutMs }, f);
    return toNumber(raw, `${f}.query`, 'the SQL query');
  }
  return readCommand(measure.command!, ctx, `${field}.command`, timeoutMs);
}

async function headersOf(
  headers: Record<string, string | { secretRef: Parameters<Ctx['secrets']['resolve']>[0] }> | undefined,
  ctx: Ctx,
): Promise<Record<string, string>> {
  const out: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(headers ?? {}))
    out[name] = typeof value === 'string' ? value : await ctx.secrets.resolve(value.secretRef, ctx.baseDir);
  return out;
}

async function getJson(
  url: string,
  headers: Record<string, string>,
  field: string,
  timeoutMs: number,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const reason =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : String((err as Error).cause ?? err);
    throw new ProviderError(`could not read ${new URL(url).origin}${new URL(url).pathname}: ${reason}`, {
      code: 'SETPOINT_TARGET_READ_FAILED',
      field,
      cause: err,
      hint: 'check the URL and that the service is up',
    });
  }
  const text = await res.text();
  if (!res.ok)
    throw new ProviderError(`${new URL(url).pathname} answered HTTP ${res.status}: ${text.slice(0, 200)}`, {
      code: 'SETPOINT_TARGET_READ_FAILED',
      field,
    });
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError(`${new URL(url).pathname} did not answer JSON: ${text.slice(0, 80)}`, {
      code: 'SETPOINT_TARGET_READ_FAILED',
      field,
    });
  }
}

async function readPrometheus(
  m: NonNullable<Measure['prometheus']>,
  ctx: Ctx,
  field: string,
  timeoutMs: number,
): Promise<number> {
  const headers = await headersOf(m.headers, ctx);
  try {
    return await queryNumber(m.url, m.query, { headers, timeoutMs });
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    throw new ProviderError(err.message, {
      code: 'SETPOINT_TARGET_READ_FAILED',
      field: `${field}.query`,
      hint: err.hint,
      cause: err,
    });
  }
}

/** Follows a dotted path (`data.items.0.count`) into parsed JSON. */
export function atPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let at: unknown = value;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

async function readHttp(
  m: NonNullable<Measure['http']>,
  ctx: Ctx,
  field: string,
  timeoutMs: number,
): Promise<number> {
  const body = await getJson(m.url, await headersOf(m.headers, ctx), field, timeoutMs);
  const value = atPath(body, m.path);
  if (value === undefined)
    throw new ProviderError(`the answer has nothing at ${m.path}`, {
      code: 'SETPOINT_TARGET_READ_FAILED',
      field: `${field}.path`,
    });
  return toNumber(value, `${field}.path`, `${m.path ?? 'the body'}`);
}

async function readCommand(
  m: NonNullable<Measure['command']>,
  ctx: Ctx,
  field: string,
  timeoutMs: number,
): Promise<number> {
  const cwd = m.cwd ? (isAbsolute(m.cwd) ? m.cwd : resolvePath(ctx.baseDir, m.cwd)) : ctx.baseDir;
  const r = await runCommand(m.run, { cwd, timeoutMs, signal: ctx.signal, maxOutputBytes: 4096 });
  if (r.timedOut || r.exitCode !== 0)
    throw new ProviderError(
      `\`${describeCommand(m.run)}\` ${r.timedOut ? `took longer than ${timeoutMs} ms` : `exited ${r.exitCode ?? r.signal}`}${r.stderr.trim() ? `: ${r.stderr.trim().slice(-200)}` : ''}`,
      { code: 'SETPOINT_TARGET_READ_FAILED', field: `${field}.run` },
    );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return toNumber(last, `${field}.run`, `\`${describeCommand(m.run)}\``);
}
