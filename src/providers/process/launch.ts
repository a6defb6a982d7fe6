/**
 * Starting replicas. A replica is spawned detached (its own process group),
 * with stdin ignored and stdout/stderr appended straight to its log file as
 * a file descriptor, never a pipe: it outlives setpoint and never gets
 * SIGPIPE. The Supervisor keeps the children this process started, reaps
 * them (Node's `exit` event), records how they exited, and tells listeners
 * at once; replicas started by an earlier setpoint process are not its
 * children and are watched through /proc instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { delimiter, join, resolve as resolvePath } from 'node:path';
import { fsError, ProviderError } from '../../provider/errors.js';
import { logPath, replicaArgs, replicaEnv, type ProcessDesired } from './desired.js';
import { MARK_VAR, markValue, resourceMark } from './marks.js';
import { bootId, readStat } from './proc.js';
import { readReplica, replicaPath, writeReplica, type ReplicaRecord } from './state.js';

/** A child of this process exited. */
export interface ChildExit {
  /** The resource the replica belongs to. */
  id: string;
  stateDir: string;
  index: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Supervisor {
  private readonly children = new Map<number, { child: ChildProcess; exited: Promise<void>; done(): void }>();
  private readonly listeners = new Set<(exit: ChildExit) => void>();

  /** Whether `pid` is a live child of this process (its exit will be reported by `onExit`). */
  isChild(pid: number): boolean {
    return this.children.has(pid);
  }

  /**
   * Resolves once the exit of child `pid` has been recorded (at once for a
   * pid that is not a live child). /proc can show a child dead a moment
   * before Node reaps it; waiting here keeps its exit code for the restart
   * policy. Bounded by `timeoutMs`.
   */
  async exitRecorded(pid: number, timeoutMs = 2000): Promise<void> {
    const entry = this.children.get(pid);
    if (!entry) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([entry.exited, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Subscribes to exits of children; returns the unsubscribe function. */
  onExit(listener: (exit: ChildExit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts replica `index`, marked with `token` in its environment, and
   * returns its record (the caller writes it). Throws a ProviderError naming
   * the field at fault when the process cannot be started; nothing is left
   * running then.
   */
  async start(
    desired: ProcessDesired,
    index: number,
    counts: Pick<ReplicaRecord, 'restarts' | 'failures'>,
    token: string,
  ): Promise<ReplicaRecord> {
    const env = replicaEnv(desired, index);
    env[MARK_VAR] = markValue(resourceMark(desired.stateDir), index, token);
    const executable = preflight(desired, env);
    const log = logPath(desired, index);
    let fd: number;
    try {
      mkdirSync(desired.logDir, { recursive: true, mode: 0o750 });
      fd = openSync(log, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o640);
    } catch (err) {
      throw fsError('opening the log file', log, err, 'spec.logs.dir');
    }
    let child: ChildProcess;
    try {
      child = spawn(executable, replicaArgs(desired, index), {
        cwd: desired.cwd,
        env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new ProviderError(
        `cannot start ${executable}: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
        {
          code: 'SETPOINT_APPLY_FAILED',
          field: 'spec.command',
          hint: `run it by hand in ${desired.cwd} to see why`,
          cause: err,
        },
      );
    }
    // Read before anything can reap it: even a child that already exited is still a zombie here.
    const startTime = readStat(pid)?.startTime ?? 0;
    let done!: () => void;
    const exited = new Promise<void>((r) => {
      done = r;
    });
    this.children.set(pid, { child, exited, done });
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => this.exited(desired.id, desired.stateDir, index, pid, code, signal));
    child.unref();
    return {
      version: 1,
      index,
      process: { pid, startTime, bootId: bootId() },
      token,
      digest: desired.digest,
      started: desired.started,
      restarts: counts.restarts,
      failures: counts.failures,
      startedAt: Date.now(),
    };
  }

  /** Records the exit in the replica's file when the file still names this pid, then tells listeners. */
  private exited(
    id: string,
    stateDir: string,
    index: number,
    pid: number,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    const entry = this.children.get(pid);
    this.children.delete(pid);
    try {
      const rec = readReplica(replicaPath(stateDir, index));
      if (rec?.process?.pid === pid)
        writeReplica(stateDir, { ...rec, lastExit: { pid, code, signal, at: Date.now() } });
    } catch {
      // Bookkeeping only: the next apply sees the exit anyway, just without its code.
    }
    entry?.done();
    for (const listener of this.listeners) listener({ id, stateDir, index, pid, code, signal });
  }
}

/**
 * Checks what can be checked before a start (cwd, executable) and returns
 * the executable's path; a rolling update calls it before stopping the old
 * replica, so a spec that cannot start never takes a running one down.
 */
export function preflight(desired: ProcessDesired, env: NodeJS.ProcessEnv = replicaEnv(desired, 0)): string {
  checkCwd(desired.cwd);
  return findExecutable(desired.spec.command, env.PATH ?? '', desired.cwd);
}

function checkCwd(cwd: string): void {
  let ok = false;
  try {
    ok = statSync(cwd).isDirectory();
  } catch (err) {
    throw fsError('entering', cwd, err, 'spec.cwd');
  }
  if (!ok)
    throw new ProviderError(`${cwd} is not a folder`, {
      code: 'SETPOINT_APPLY_FAILED',
      field: 'spec.cwd',
      hint: 'spec.cwd must name a folder',
    });
}

/** The executable `command` names: a path (relative to cwd) when it has a slash, else the first match on PATH. */
export function findExecutable(command: string, path: string, cwd: string): string {
  if (command.includes('/')) {
    const abs = resolvePath(cwd, command);
    if (isExecutable(abs)) return abs;
    throw new ProviderError(`${abs} is not an executable file`, {
      code: 'SETPOINT_APPLY_FAILED',
      field: 'spec.command',
      hint: 'check the path (relative paths start at spec.cwd) and that the file has execute permission',
    });
  }
  for (const dir of path.split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  throw new ProviderError(`cannot find ${command} on PATH (${path || 'empty'})`, {
    code: 'SETPOINT_APPLY_FAILED',
    field: 'spec.command',
    hint: 'install it, give an absolute path, or set PATH in spec.env',
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
