/**
 * An Exec command outlives a setpoint killed with -9: it runs in its own
 * process group, so the kill does not reach it. Without care the next run
 * finds the check still failing and starts the apply command a second time,
 * next to the first (two migrations, two installs). So every command runs
 * marked, `SETPOINT_EXEC_MARK=<resource>:<setpoint pid>:<step>`, and before
 * an apply or destroy command runs, a command of the same resource that an
 * earlier setpoint started is waited for (up to the spec's timeout, then its
 * group is stopped, as its own setpoint would have done).
 */
import { createHash } from 'node:crypto';
import type { Ctx } from '../../provider/types.js';
import { findByMark } from '../process/marks.js';
import { isAlive, stopProcess, type ProcessIdentity } from '../process/proc.js';

export const EXEC_MARK_VAR = 'SETPOINT_EXEC_MARK';

/** The resource part of the marks: unique per project (its work folder) and resource. */
export function execMark(workDir: string, id: string): string {
  return createHash('sha256').update(`${workDir}\0${id}`).digest('hex').slice(0, 16);
}

export function markEnv(mark: string, step: string): Record<string, string> {
  return { [EXEC_MARK_VAR]: `${mark}:${process.pid}:${step}` };
}

/** Commands of this resource still running from another (killed) setpoint process. */
export function interruptedCommands(mark: string): Array<{ identity: ProcessIdentity; step: string }> {
  return findByMark(EXEC_MARK_VAR, mark)
    .map(({ identity, rest }) => {
      const [pid, step] = rest.split(':');
      return { identity, pid: Number(pid), step };
    })
    .filter((c) => c.pid !== process.pid && c.step !== 'check');
}

/**
 * Waits until the interrupted commands of this resource have ended, at most
 * `timeoutMs`, then stops what is left. Returns whether there were any.
 */
export async function awaitInterrupted(mark: string, timeoutMs: number, ctx: Ctx): Promise<boolean> {
  const found = interruptedCommands(mark);
  if (found.length === 0) return false;
  ctx.event(
    'Warning',
    'InterruptedCommand',
    `the ${found.map((f) => `${f.step} command (pid ${f.identity.pid})`).join(', ')} of an earlier setpoint still runs; waiting for it before checking again`,
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = found.filter((f) => isAlive(f.identity));
    if (live.length === 0) return true;
    if (Date.now() >= deadline || ctx.signal?.aborted) {
      await Promise.all(live.map((f) => stopProcess(f.identity, 'SIGTERM', 2000)));
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
