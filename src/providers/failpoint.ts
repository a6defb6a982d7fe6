/**
 * Failpoints for crash tests. With `SETPOINT_FAILPOINT=<name>:<n>:<file>`,
 * the n-th pass of this process through failpoint `name` writes the pid to
 * `<file>` and then blocks the thread for good, so a test can kill -9 the
 * process at exactly that point instead of at a lucky moment. Unset (always,
 * outside tests), a failpoint costs one environment lookup.
 */
import { writeFileSync } from 'node:fs';

/** The points where a crash leaves something for the next run to clean up or adopt. */
export type FailpointName =
  /** A replica's start intent is recorded, its process not spawned yet. */
  | 'process.before-spawn'
  /** A replica's process is spawned, its pid not recorded yet. */
  | 'process.after-spawn'
  /** An atomic write's temp file is written, not renamed into place yet. */
  | 'fs.before-rename';

const passes = new Map<string, number>();

export function failpoint(name: FailpointName): void {
  const setting = process.env.SETPOINT_FAILPOINT;
  if (!setting) return;
  const [point, nth, file] = splitSetting(setting);
  if (point !== name) return;
  const count = (passes.get(name) ?? 0) + 1;
  passes.set(name, count);
  if (count !== nth) return;
  writeFileSync(file, String(process.pid));
  // Blocks the event loop too: nothing else happens until the test kills this process.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/** `name:n:file`; the file may itself hold colons. */
function splitSetting(setting: string): [string, number, string] {
  const first = setting.indexOf(':');
  const second = setting.indexOf(':', first + 1);
  return [setting.slice(0, first), Number(setting.slice(first + 1, second)), setting.slice(second + 1)];
}
