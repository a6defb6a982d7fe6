/**
 * Temp files of atomic writes: `.<name>.setpoint-tmp-<pid>-<random>`, beside
 * the target. The pid names the writer, so a temp file whose writer is dead
 * (a setpoint killed mid-write) is known to be stale and removed by the
 * first write into its folder (once per folder per process); one whose
 * writer still runs (another setpoint, or a recycled pid) is left alone.
 * Temp files of older versions (`.<name>.setpoint.tmp`, no pid) are removed
 * once they are an hour old. Read-only commands never write, so they never
 * sweep either.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const TEMP_NAME = /^\..+\.setpoint-tmp-(\d+)-[0-9a-f]+$/;
const LEGACY_TEMP_NAME = /^\..+\.setpoint\.tmp$/;
const LEGACY_AGE_MS = 60 * 60 * 1000;

/** Temp files this process is writing now (never stale, whatever the sweep sees). */
const inFlight = new Set<string>();
/** Folders swept by this process. */
const swept = new Set<string>();

/** A fresh temp name for `path`, registered as in flight until `tempDone`. */
export function newTempPath(path: string): string {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.setpoint-tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  inFlight.add(tmp);
  return tmp;
}

export function tempDone(tmp: string): void {
  inFlight.delete(tmp);
}

/** The temp files of writes to `path` that exist now (any writer). */
export function tempFilesOf(path: string): string[] {
  const prefix = `.${basename(path)}.setpoint-tmp-`;
  try {
    return readdirSync(dirname(path))
      .filter((n) => n.startsWith(prefix) && TEMP_NAME.test(n))
      .map((n) => join(dirname(path), n));
  } catch {
    return [];
  }
}

/** Sweeps `dir` the first time this process writes into it. */
export function sweepOnce(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  sweepStaleTemps(dir);
}

/** Removes the stale temp files in `dir`; returns their paths. A folder that cannot be read is skipped. */
export function sweepStaleTemps(dir: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!isStale(name, path, now)) continue;
    try {
      unlinkSync(path);
      removed.push(path);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

function isStale(name: string, path: string, now: number): boolean {
  const m = TEMP_NAME.exec(name);
  if (m) {
    const pid = Number(m[1]);
    if (pid === process.pid) return !inFlight.has(path);
    return !processRuns(pid);
  }
  if (!LEGACY_TEMP_NAME.test(name)) return false;
  try {
    return now - statSync(path).mtimeMs > LEGACY_AGE_MS;
  } catch {
    return false;
  }
}

/** Whether `pid` exists and is not a zombie (a zombie writes nothing any more). Without /proc, existing is enough. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
