/**
 * Terminal output: colours only on a terminal (NO_COLOR, FORCE_COLOR and
 * --no-color respected), simple aligned tables, JSON. Everything printed
 * passes the redactor.
 */
import pc from 'picocolors';
import { API_VERSION } from '../api/api-version.js';
import { redactor } from '../secrets/redact.js';

export type Colors = ReturnType<typeof pc.createColors>;

export interface Output {
  colors: Colors;
  isTTY: boolean;
  json: boolean;
  out(text?: string): void;
  err(text?: string): void;
  printJson(value: unknown): void;
}

export function createOutput(options: { json?: boolean; color?: boolean }): Output {
  const isTTY = Boolean(process.stdout.isTTY);
  const forced = 'FORCE_COLOR' in process.env && process.env.FORCE_COLOR !== '0';
  // NO_COLOR (no-color.org) and --no-color win; FORCE_COLOR colours a pipe; TERM=dumb has none unless forced.
  const enabled =
    options.color !== false &&
    !('NO_COLOR' in process.env) &&
    (forced || (isTTY && process.env.TERM !== 'dumb'));
  const colors = pc.createColors(enabled);
  return {
    colors,
    isTTY,
    json: Boolean(options.json),
    out(text = '') {
      process.stdout.write(redactor.redact(text) + '\n');
    },
    err(text = '') {
      process.stderr.write(redactor.redact(text) + '\n');
    },
    printJson(value: unknown) {
      // Every JSON document (an object) names the contract version it follows first; lists stay lists.
      // A JSON Schema (`setpoint schema`, `output-schema`) is printed as it is.
      const versioned =
        value && typeof value === 'object' && !Array.isArray(value) && !isJsonSchema(value)
          ? { apiVersion: API_VERSION, ...value }
          : value;
      process.stdout.write(redactor.redact(JSON.stringify(versioned, replacer, 2)) + '\n');
    },
  };
}

/** A JSON Schema, or a map of them (`setpoint schema` of every kind). */
function isJsonSchema(value: object): boolean {
  const has = (v: unknown) => typeof v === 'object' && v !== null && '$schema' in v;
  const values = Object.values(value);
  return has(value) || (values.length > 0 && values.every(has));
}

/** Buffers are shown as their size; they are never printed raw. Strings are redacted before they are escaped. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: string }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  )
    return `<${(value as { data: unknown[] }).data.length} bytes>`;
  return value;
}

/** Left-aligned columns; the last column is not padded. */
export function table(headers: string[], rows: string[][], colors?: Colors): string {
  const widths = headers.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c))))
      .join('  ')
      .trimEnd();
  const head = line(headers);
  return [colors ? colors.bold(head) : head, ...rows.map(line)].join('\n');
}

const ANSI = /\x1b\[[0-9;]*m/g;
function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function syncColor(c: Colors, sync: string): string {
  switch (sync) {
    case 'InSync':
      return c.green(sync);
    case 'Drifted':
    case 'Pending':
    case 'Blocked':
      return c.yellow(sync);
    case 'Held':
      return c.cyan(sync);
    case 'Failed':
    case 'Conflict':
      return c.red(sync);
    default:
      return sync;
  }
}

export function healthColor(c: Colors, health: string): string {
  switch (health) {
    case 'Healthy':
      return c.green(health);
    case 'Progressing':
      return c.cyan(health);
    case 'Degraded':
    case 'Missing':
      return c.red(health);
    default:
      return c.dim(health);
  }
}
