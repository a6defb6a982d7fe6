/**
 * The state guard: notices when the file a store has open is deleted or
 * replaced under it. SQLite keeps writing to a deleted file without a word;
 * every write after that is lost at the next start and the audit chain starts
 * over as if nothing had happened. The guard compares the device and inode of
 * the path with those of the file opened, on demand (probes, before acting),
 * before writes (at most every `maxAgeMs`) and, while someone listens, at
 * once when a watch on the file or its folder fires (a delete, a rename over
 * it) plus every 30 s for what a watch cannot see (a grandparent folder
 * moved); every second when the watch cannot be set up. A problem, once
 * seen, stays: the handle is never trusted again.
 */
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { SetpointError } from '../errors.js';
import { watchQuietly, type StopWatch } from '../util/quiet-watch.js';
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

export interface StateGuardTimings {
  /** How often a listened-to guard checks while its watches work. Defaults to 30 s. */
  fallbackMs?: number;
  /** How often it checks when the watches cannot be set up or broke. Defaults to 1 s. */
  pollMs?: number;
}

export class StateGuard {
  private readonly dev: number;
  private readonly ino: number;
  private found: StoreProblem | undefined;
  private checkedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private watches: StopWatch[] = [];
  private readonly listeners = new Set<(problem: StoreProblem) => void>();
  private readonly fallbackMs: number;
  private readonly pollMs: number;

  /** Call right after opening `path`: its identity now is the one to keep. */
  constructor(
    readonly path: string,
    timings: StateGuardTimings = {},
  ) {
    this.fallbackMs = timings.fallbackMs ?? 30_000;
    this.pollMs = timings.pollMs ?? 1000;
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
    this.stopWatching();
    return this.found;
  }

  /** Throws a StateProblemError when there is a problem; checks the file again when the last check is older than `maxAgeMs`. */
  assertHealthy(maxAgeMs = 0): void {
    if (!this.found && performance.now() - this.checkedAt >= maxAgeMs) this.problem();
    if (this.found) throw new StateProblemError(this.found);
  }

  /** Calls `listener` once when a problem is found; watches the file (see above) while anyone listens. */
  onProblem(listener: (problem: StoreProblem) => void): () => void {
    if (this.found) {
      listener(this.found);
      return () => undefined;
    }
    this.listeners.add(listener);
    if (!this.timer) this.startWatching();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  close(): void {
    this.listeners.clear();
    this.stopWatching();
  }

  private check = (): void => void this.problem();

  private startWatching(): void {
    const dir = dirname(this.path);
    // Events about the folder itself (moved, deleted) carry its own name; other entries (the WAL, files the agent renames into place) are not ours.
    const ours = new Set([basename(this.path), basename(dir)]);
    const broken = () => this.poll(this.pollMs);
    // The file: its link count dropping (deleted through any name) or its own deletion.
    const onFile = watchQuietly(this.path, this.check, broken);
    // Its folder: this name removed or renamed over, or the folder moved.
    const onFolder = watchQuietly(
      dir,
      (_event, entry) => {
        if (entry === null || ours.has(entry)) this.check();
      },
      broken,
    );
    this.watches = [onFile, onFolder].filter((w): w is StopWatch => w !== undefined);
    this.poll(this.watches.length === 2 ? this.fallbackMs : this.pollMs);
  }

  private poll(everyMs: number): void {
    if (this.found || this.listeners.size === 0) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(this.check, everyMs);
    this.timer.unref();
  }

  private stopWatching(): void {
    for (const stop of this.watches) stop();
    this.watches = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
