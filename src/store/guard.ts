/**
 * The state guard: notices when the file a store has open is deleted or
 * replaced under it. SQLite keeps writing to a deleted file without a word;
 * every write after that is lost at the next start and the audit chain starts
 * over as if nothing had happened. The guard compares the device and inode of
 * the path with those of the file opened, on demand (probes, before acting),
 * before writes (at most every `maxAgeMs`) and every second while someone
 * listens. A problem, once seen, stays: the handle is never trusted again.
 */
import { statSync } from 'node:fs';
import { SetpointError } from '../errors.js';
import type { StoreProblem } from './types.js';

/** The state store cannot be trusted with writes (see StoreProblem). */
export class StateProblemError extends SetpointError {
  declare readonly code: StoreProblem['code'];
  constructor(readonly problem: StoreProblem) {
    super(problem.message, problem.code, {
      hint: 'stop this process; restore the state file from a backup (or start over: `setpoint audit verify` will report the chain as truncated against .setpoint/audit-head)',
    });
  }
}

export class StateGuard {
  private readonly dev: number;
  private readonly ino: number;
  private found: StoreProblem | undefined;
  private checkedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(problem: StoreProblem) => void>();

  /** Call right after opening `path`: its identity now is the one to keep. */
  constructor(
    readonly path: string,
    private readonly intervalMs = 1000,
  ) {
    const st = statSync(path);
    this.dev = st.dev;
    this.ino = st.ino;
  }

  /** A fresh check: the problem, if the file is gone or another file stands at the path. */
  problem(): StoreProblem | undefined {
    if (this.found) return this.found;
    this.checkedAt = performance.now();
    let code: StoreProblem['code'] | undefined;
    try {
      const st = statSync(this.path);
      if (st.dev !== this.dev || st.ino !== this.ino) code = 'SETPOINT_STATE_REPLACED';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') code = 'SETPOINT_STATE_DELETED';
      // Any other stat error (EACCES on a folder, EIO) says nothing about identity; the write itself will fail.
    }
    if (!code) return undefined;
    this.found = {
      code,
      path: this.path,
      since: new Date().toISOString(),
      message:
        code === 'SETPOINT_STATE_DELETED'
          ? `the state file ${this.path} was deleted while setpoint had it open: nothing more is recorded or acted on (every write would be lost)`
          : `the state file ${this.path} was replaced by another file while setpoint had it open: nothing more is recorded or acted on`,
    };
    for (const l of this.listeners) {
      try {
        l(this.found);
      } catch {
        // A listener's failure must not hide the problem from the others.
      }
    }
    return this.found;
  }

  /** Throws a StateProblemError when there is a problem; checks the file again when the last check is older than `maxAgeMs`. */
  assertHealthy(maxAgeMs = 0): void {
    if (!this.found && performance.now() - this.checkedAt >= maxAgeMs) this.problem();
    if (this.found) throw new StateProblemError(this.found);
  }

  /** Calls `listener` once when a problem is found; checks every `intervalMs` while anyone listens. */
  onProblem(listener: (problem: StoreProblem) => void): () => void {
    if (this.found) {
      listener(this.found);
      return () => undefined;
    }
    this.listeners.add(listener);
    this.timer ??= setInterval(() => {
      if (this.problem()) this.stopTimer();
    }, this.intervalMs);
    this.timer.unref();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopTimer();
    };
  }

  close(): void {
    this.listeners.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
