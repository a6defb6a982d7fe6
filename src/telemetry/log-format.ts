/**
 * The human-friendly form of a JSON log line, for `serve` on a terminal:
 *
 *   14:03:07.412 WARN  File/web/motd  changed outside setpoint: spec.content  reason=DriftDetected reconcile=3f2a9c1e revision=774bda80
 *
 * Time, level, the resource id when there is one, the message, then the other
 * fields as key=value. A line that is not JSON is passed through unchanged.
 */
import pc from 'picocolors';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields shown in their own place, or not at all. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'resourceId', 'trace_id', 'span_id']);
/** Short names of the ids every line may carry. */
const SHORT: Record<string, string> = { reconcileId: 'reconcile', revisionId: 'revision', runId: 'run' };

export interface FormatOptions {
  /** Colours (ANSI). Defaults to false. */
  colors?: boolean;
}

export function formatLogLine(line: string, options: FormatOptions = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : line + '\n';
  }
  const c = pc.createColors(options.colors ?? false);
  const time =
    typeof entry.time === 'string'
      ? entry.time.slice(11, 23)
      : typeof entry.time === 'number'
        ? new Date(entry.time).toISOString().slice(11, 23)
        : '';
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const paint =
    level === 'ERROR' || level === 'FATAL'
      ? c.red
      : level === 'WARN'
        ? c.yellow
        : level === 'INFO'
          ? c.green
          : c.dim;
  const parts = [c.dim(time), paint(level.padEnd(5))];
  if (typeof entry.resourceId === 'string') parts.push(c.bold(entry.resourceId));
  parts.push(typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? ''));
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || value === undefined || value === null) continue;
    const name = SHORT[key] ?? key;
    const text =
      typeof value === 'string'
        ? SHORT[key] && value.length > 8 && key !== 'runId'
          ? value.slice(0, 8)
          : value
        : JSON.stringify(value);
    fields.push(c.dim(`${name}=`) + (/\s/.test(text) ? JSON.stringify(text) : text));
  }
  return parts.join(' ') + (fields.length ? '  ' + fields.join(' ') : '') + '\n';
}
