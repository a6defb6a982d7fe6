/**
 * Shared helpers for integration tests: real temp folders, the real CLI in a
 * child process (the built bin, as users run it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'setpoint.js');

/** A fresh temp folder, removed when the test process exits (unless SETPOINT_KEEP_TMP=1). */
export function tempDir(prefix = 'setpoint-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.env.SETPOINT_KEEP_TMP !== '1')
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files given as {relative path: content} under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

function cliEnv(extra: CliOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `setpoint ARGS` to completion. */
export function cli(args: string[], options: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `setpoint ARGS` without waiting (for kill -9 and lock tests). */
export function cliSpawn(args: string[], options: CliOptions = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Parses the JSON a `--json` command printed. */
export function json<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

/**
 * A sandbox: a temp folder with its own state store. `run` runs the CLI in it
 * with `--state DIR/state.db`, so tests never share state.
 */
export interface Sandbox {
  dir: string;
  state: string;
  /** An absolute path inside the sandbox. */
  path(...parts: string[]): string;
  write(files: Record<string, string>): void;
  run(args: string[], options?: CliOptions): CliResult;
  spawn(args: string[], options?: CliOptions): ReturnType<typeof cliSpawn>;
}

export function sandbox(prefix = 'setpoint-e2e-'): Sandbox {
  const dir = tempDir(prefix);
  const state = join(dir, 'state.db');
  return {
    dir,
    state,
    path: (...parts) => join(dir, ...parts),
    write: (files) => writeFiles(dir, files),
    run: (args, options = {}) => cli([...args, '--state', state], { cwd: dir, ...options }),
    spawn: (args, options = {}) => cliSpawn([...args, '--state', state], { cwd: dir, ...options }),
  };
}

/** Identity of a file-system node: a rewrite changes the inode or the mtime. */
export interface NodeStamp {
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** lstat stamps of each path (symlinks themselves, not their targets). */
export function stamps(paths: readonly string[]): Record<string, NodeStamp> {
  const out: Record<string, NodeStamp> = {};
  for (const p of paths) {
    const st = lstatSync(p);
    out[p] = { ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  }
  return out;
}

/** Polls `condition` until it holds; throws after `timeoutMs`, naming `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Exited extends CliResult {
  signal: NodeJS.Signals | null;
}

/** Collects a spawned CLI's output and waits for it to exit. */
export function exited(child: ReturnType<typeof cliSpawn>): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Polls `probe` (sync or async) until it returns a value other than
 * undefined/false/null and resolves with it. A probe that throws or rejects
 * (e.g. a failed assert) counts as "not yet"; on timeout the error names
 * `what` and the last thing the probe said.
 */
export async function eventually<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = `returned ${String(v)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${last}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The line `setpoint serve` prints on stderr once its first revision is loaded and watches are set. */
export const SERVE_READY = /^setpoint serve: revision .*Ctrl-C or SIGTERM to stop$/m;

/** A running `setpoint serve`. */
export interface Serving {
  child: ReturnType<typeof cliSpawn>;
  /** Everything it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when it has exited. */
  exited: Promise<Exited>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `graceMs`. Idempotent. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exited>;
}

const running = new Set<ReturnType<typeof cliSpawn>>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Spawns `setpoint serve ARGS` in `cwd` and waits until it prints its ready
 * line on stderr. It is stopped with SIGTERM in an `after` hook of `t`, so it
 * never outlives its test, even a failed one.
 */
export async function startServe(
  t: Pick<TestContext, 'after'>,
  cwd: string,
  args: string[] = [],
  options: CliOptions & { readyTimeoutMs?: number } = {},
): Promise<Serving> {
  const child = cliSpawn(['serve', ...args], { ...options, cwd });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<Exited>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  let exitedAlready = false;
  void done.then(() => (exitedAlready = true));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<Exited> => {
    if (!exitedAlready) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    }
    return done;
  };
  t.after(async () => {
    await stop();
  });
  const serving: Serving = { child, stdout: () => stdout, stderr: () => stderr, exited: done, stop };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!SERVE_READY.test(stderr)) {
    if (exitedAlready) {
      const r = await done;
      throw new Error(
        `setpoint serve exited (code ${r.code}, signal ${r.signal}) before it was ready:\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
      );
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(
        `setpoint serve was not ready after ${options.readyTimeoutMs ?? 60_000}ms:\n${stdout}\n--- stderr ---\n${stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return serving;
}
