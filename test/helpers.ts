/**
 * Shared helpers for integration tests: real temp folders, the real CLI in a
 * child process (the built bin, as users run it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'setpoint.js');

/** A fresh temp folder, removed when the test process exits (unless SETPOINT_KEEP_TMP=1). */
export function tempDir(prefix = 'setpoint-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.env.SETPOINT_KEEP_TMP !== '1') process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
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
  return spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
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
