/**
 * What the fleet's end-to-end tests share: a temp root holding a Git repo
 * (the source), the server's project folder, and real CLI processes (one-shot
 * and long-running) that the test kills when it ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from './helpers.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function fleetKit(prefix: string, untilTimeoutMs: number) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(root, 'repo');
  const srv = join(root, 'server');
  const children: ChildProcess[] = [];
  const env = { ...process.env, NO_COLOR: '1' };

  /** One CLI command to its end. */
  const cli = (args: string[], cwd = srv): CliResult => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  /** A long-running CLI process (serve, agent), its output collected. */
  const start = (args: string[], cwd = srv): { child: ChildProcess; output: () => string } => {
    let out = '';
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    children.push(child);
    return { child, output: () => out };
  };

  /** Polls `check` until it holds (a condition, not a fixed sleep). */
  const until = async <T>(
    what: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = untilTimeoutMs,
  ): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const got = await check();
      if (got) return got;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };

  const git = (...args: string[]): void => {
    const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };

  /** Kills every process still running (in `after`). */
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };

  return { root, repo, srv, children, cli, start, until, git, killAll };
}
