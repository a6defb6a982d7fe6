/**
 * The apt/dpkg backend. Observe is one `dpkg-query -W` (all packages asked
 * for, or the whole host); install and remove are one `apt-get` transaction,
 * non-interactive, waiting for the dpkg lock (`DPkg::Lock::Timeout`) and
 * naming the lock and its holder when it stays busy; a hold is one
 * `dpkg --set-selections`, as `apt-mark` does it. The package lists are
 * refreshed (`apt-get update`) only when a package or version is not found,
 * or when asked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand, type CommandResult } from '../../util/command.js';
import { PackageError } from './errors.js';
import type { BackendOptions, InstalledPackage, PackageBackend, PackageRequest } from './backend.js';

const FORMAT = '${Package}\\t${Architecture}\\t${Version}\\t${Status}\\n';

const ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };

/** dpkg's own words when another package manager holds its lock (hold, unhold). */
const DPKG_LOCKED = /dpkg frontend lock was locked by another process with pid (\d+)/;

export class AptBackend implements PackageBackend {
  readonly name = 'apt';

  async observe(names?: readonly string[]): Promise<Map<string, InstalledPackage>> {
    const result = await run(['dpkg-query', '-W', `-f=${FORMAT}`, ...(names ?? [])]);
    // Exit 1 with "no packages found matching" for names dpkg never saw: those are absent, not errors.
    if (result.exitCode !== 0 && !/no packages found matching/.test(result.stderr))
      throw new PackageError(`dpkg-query failed: ${lastLine(result)}`, 'SETPOINT_PACKAGE_QUERY_FAILED');
    return parseDpkgQuery(result.stdout);
  }

  async candidates(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (names.length === 0) return out;
    const result = await run(['apt-cache', 'policy', ...names]);
    let current: string | undefined;
    for (const line of result.stdout.split('\n')) {
      const head = /^(\S+):$/.exec(line);
      if (head) current = head[1];
      const cand = /^\s+Candidate:\s+(\S+)/.exec(line);
      if (current && cand && cand[1] !== '(none)') out.set(current, cand[1]);
    }
    return out;
  }

  async install(requests: readonly PackageRequest[], options: BackendOptions): Promise<void> {
    if (requests.length === 0) return;
    const args = requests.map((r) =>
      r.version && r.version !== 'latest' ? `${r.name}=${r.version}` : r.name,
    );
    if (options.updateCache) await this.update(options);
    const install = () =>
      apt(['install', '-y', '--allow-downgrades', '--allow-change-held-packages', ...args], options);
    let result = await install();
    if (result.exitCode !== 0 && notFound(result) && !options.updateCache) {
      await this.update(options);
      result = await install();
    }
    if (result.exitCode !== 0) throw aptFailure('install', result, options);
  }

  async remove(names: readonly string[], purge: boolean, options: BackendOptions): Promise<void> {
    if (names.length === 0) return;
    const result = await apt(
      [purge ? 'purge' : 'remove', '-y', '--allow-change-held-packages', ...names],
      options,
    );
    if (result.exitCode !== 0) throw aptFailure('remove', result, options);
  }

  async hold(names: readonly string[], held: boolean, options: BackendOptions): Promise<void> {
    if (names.length === 0) return;
    // A hold is a dpkg selection: what `apt-mark hold|unhold` sets through dpkg --set-selections,
    // without apt first reading every package list (1-3 s a call here). The names are arguments
    // of the script, never part of it. dpkg does not wait for its lock: retry until lockTimeout.
    const selection = held ? 'hold' : 'install';
    const argv = [
      '/bin/sh',
      '-c',
      `printf '%s ${selection}\\n' "$@" | dpkg --set-selections`,
      'setpoint-hold',
    ];
    const deadline = Date.now() + options.lockTimeoutMs;
    for (;;) {
      const result = await run([...argv, ...names], options.signal);
      if (result.exitCode === 0) return;
      if (!DPKG_LOCKED.test(result.stderr) || Date.now() >= deadline || options.signal?.aborted)
        throw aptFailure(held ? 'hold' : 'unhold', result, options);
      await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
    }
  }

  private async update(options: BackendOptions): Promise<void> {
    const result = await apt(['update'], options);
    if (result.exitCode !== 0) throw aptFailure('update', result, options);
  }
}

/** Parses `dpkg-query -W -f=FORMAT`: only installed packages (not removed ones with config files left). */
export function parseDpkgQuery(stdout: string): Map<string, InstalledPackage> {
  const out = new Map<string, InstalledPackage>();
  for (const line of stdout.split('\n')) {
    const [name, arch, version, status] = line.split('\t');
    if (!name || !status) continue;
    const [want, , state] = status.split(' ');
    if (state !== 'installed') continue;
    const pkg = { name, version, held: want === 'hold' };
    out.set(name, pkg);
    out.set(`${name}:${arch}`, pkg);
  }
  return out;
}

function apt(args: string[], options: BackendOptions): Promise<CommandResult> {
  const seconds = Math.max(0, Math.round(options.lockTimeoutMs / 1000));
  return run(['apt-get', '-q', '-o', `DPkg::Lock::Timeout=${seconds}`, ...args], options.signal);
}

async function run(argv: string[], signal?: AbortSignal): Promise<CommandResult> {
  try {
    return await runCommand(argv, { env: ENV, timeoutMs: 30 * 60_000, signal });
  } catch (err) {
    throw new PackageError(
      `cannot run ${argv[0]}: ${(err as Error).message}`,
      'SETPOINT_PACKAGE_MANAGER_MISSING',
      {
        hint: 'the Package kind needs apt and dpkg (Debian, Ubuntu)',
        cause: err,
      },
    );
  }
}

function notFound(r: CommandResult): boolean {
  return /Unable to locate package|Version '.*' for '.*' was not found|has no installation candidate/.test(
    r.stderr,
  );
}

/** Turns apt's failure into an error that says what is wrong: a busy lock, an unknown package, or apt's own words. */
function aptFailure(step: string, r: CommandResult, options: BackendOptions): PackageError {
  // apt prints "Waiting for cache lock: Could not get lock X. It is held by process N (name)" on stdout.
  const text = `${r.stdout}\n${r.stderr}`;
  const holder = /Could not get lock (\/\S+?)\.?\s+It is held by process (\d+)(?: \(([^)]+)\))?/.exec(text);
  const frontend = /(?:Could not get lock|Unable to acquire the dpkg frontend lock) \(?(\/[^\s),]+)/.exec(
    text,
  );
  const dpkgLock = DPKG_LOCKED.exec(text);
  const lock =
    holder ?? frontend ?? (dpkgLock ? ['', '/var/lib/dpkg/lock-frontend', dpkgLock[1]] : undefined);
  if (lock)
    return new PackageError(
      `the package manager is busy: ${lock[1]} is held${lock[2] ? ` by process ${lock[2]}${lock[3] ? ` (${lock[3]})` : ''}` : ''}, waited ${Math.round(options.lockTimeoutMs / 1000)}s`,
      'SETPOINT_PACKAGE_LOCKED',
      {
        field: 'spec.lockTimeout',
        hint: 'wait for the other apt/dpkg run to finish (or raise spec.lockTimeout), then apply again',
      },
    );
  const missing = /Unable to locate package (\S+)|Package '?(\S+?)'? has no installation candidate/.exec(
    r.stderr,
  );
  if (missing)
    return new PackageError(
      `no package ${missing[1] ?? missing[2]} in the apt sources`,
      'SETPOINT_PACKAGE_NOT_FOUND',
      {
        field: 'spec.name',
        hint: 'check the name (apt-cache search), or add the apt source that has it',
      },
    );
  const version = /Version '(.*)' for '(.*)' was not found/.exec(r.stderr);
  if (version)
    return new PackageError(
      `version ${version[1]} of ${version[2]} is not in the apt sources`,
      'SETPOINT_PACKAGE_NOT_FOUND',
      {
        field: 'spec.version',
        hint: `see the versions there are with: apt-cache policy ${version[2]}`,
      },
    );
  return new PackageError(
    `apt-get ${step} failed (exit ${r.exitCode}): ${lastLine(r)}`,
    'SETPOINT_PACKAGE_FAILED',
    {
      hint: 'run the same apt-get command by hand to see why',
    },
  );
}

function lastLine(r: CommandResult): string {
  const lines = (r.stderr.trim() || r.stdout.trim()).split('\n');
  return lines.filter((l) => /^E:/.test(l)).join(' ') || lines[lines.length - 1] || 'no output';
}
