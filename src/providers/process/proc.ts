/**
 * What the kernel says about a pid, read from /proc without spawning
 * anything, and signals that are only ever sent to a process whose identity
 * (pid + start time + boot) was checked first, so a recycled pid is never
 * adopted, waited on or killed.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** The identity recorded when a replica starts. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: number;
  /** /proc/sys/kernel/random/boot_id: start times restart at 0 on each boot. */
  bootId: string;
}

export interface ProcStat {
  /** R, S, D, T, Z, ... */
  state: string;
  /** The process group id. */
  pgrp: number;
  startTime: number;
}

/** One buffer for every /proc read: these files are small, and readFileSync's growing reads cost 10x. */
const scratch = Buffer.alloc(64 * 1024);

/**
 * The content of a /proc file (up to 64 KB, enough for stat; an environment
 * beyond that is cut), or undefined when it cannot be read. The returned
 * buffer is only valid until the next call.
 */
export function readProcFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, scratch, length, scratch.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === scratch.length) break;
    }
    return scratch.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Parses /proc/<pid>/stat; undefined when the pid does not exist. */
export function readStat(pid: number): ProcStat | undefined {
  const text = readProcFile(`/proc/${pid}/stat`)?.toString('latin1');
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return { state: fields[0], pgrp: Number(fields[2]), startTime: Number(fields[19]) };
}

let bootIdCache: string | undefined;

export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = 'unknown';
    }
  }
  return bootIdCache;
}

/** The identity of a live pid, or undefined when it is gone or a zombie. */
export function identify(pid: number): ProcessIdentity | undefined {
  const st = readStat(pid);
  if (!st || st.state === 'Z') return undefined;
  return { pid, startTime: st.startTime, bootId: bootId() };
}

/** True when the very process that was recorded still runs: a zombie or a recycled pid counts as dead. */
export function isAlive(id: ProcessIdentity): boolean {
  if (id.bootId !== bootId()) return false;
  const st = readStat(id.pid);
  return st !== undefined && st.state !== 'Z' && st.startTime === id.startTime;
}

/**
 * Sends `signal` to the recorded process's group (to the process alone when
 * it no longer leads its own group). Returns false when it was not alive.
 */
export function signalGroup(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  const st = readStat(id.pid);
  if (!st || st.state === 'Z' || st.startTime !== id.startTime || id.bootId !== bootId()) return false;
  try {
    process.kill(st.pgrp === id.pid ? -id.pid : id.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the recorded process is dead, polling /proc; false when `timeoutMs` passed first. */
export async function waitForDeath(id: ProcessIdentity, timeoutMs: number, pollMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(id)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

/**
 * Stops a process the way a supervisor does: `signal` to its group, up to
 * `graceMs` for it to exit, then SIGKILL to the group. Stragglers left in the
 * group after the leader exited get SIGKILL too. Returns how it ended.
 */
export async function stopProcess(
  id: ProcessIdentity,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<'gone' | 'stopped' | 'killed'> {
  const st = readStat(id.pid);
  if (!signalGroup(id, signal)) return 'gone';
  const leadsGroup = st?.pgrp === id.pid;
  let how: 'stopped' | 'killed' = 'stopped';
  if (signal === 'SIGKILL' || !(await waitForDeath(id, graceMs))) {
    how = 'killed';
    signalGroup(id, 'SIGKILL');
    await waitForDeath(id, 5_000);
  }
  if (leadsGroup) {
    try {
      // A pid is not reused while a group still carries its number, so this reaches only our stragglers.
      process.kill(-id.pid, 'SIGKILL');
    } catch {
      // no process left in the group
    }
  }
  return how;
}
