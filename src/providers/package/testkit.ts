/** Test helpers for system packages: put the host back, hold the dpkg lock like another apt run would. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Whether this host can run the package tests: root with apt and dpkg. */
export const canManagePackages =
  process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Removes the packages (and their holds) if installed: one dpkg-query to see
 * what is there, then dpkg itself (an apt run re-reads every package list,
 * seconds each; no installed package depends on the small ones tests use).
 */
export function purgePackages(...names: string[]): void {
  quietManDb();
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\n', ...names], {
    encoding: 'utf8',
  });
  const known = query.stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([name, status]) => name && status && !/^unknown ok not-installed$/.test(status));
  // A package held but not installed keeps its hold in dpkg's database: forget it too.
  const holdsOnly = known.filter(([, status]) => /^hold .* not-installed$/.test(status)).map(([n]) => n);
  if (holdsOnly.length > 0) {
    const r = dpkg(['--set-selections'], holdsOnly.map((n) => `${n} purge\n`).join(''));
    if (r.status !== 0) throw new Error(`cannot forget ${holdsOnly.join(' ')}: ${r.stderr}`);
  }
  const present = known.filter(([, status]) => !/ not-installed$/.test(status)).map(([n]) => n);
  if (present.length === 0) return;
  const r = dpkg(['--purge', '--force-hold', ...present]);
  if (r.status !== 0) throw new Error(`cannot purge ${present.join(' ')}: ${r.stderr}`);
}

/**
 * Runs dpkg, waiting (up to 120 s, as the apt runs here do) while another
 * package manager holds its lock: other test files install packages too.
 */
function dpkg(args: string[], input?: string): SpawnSyncReturns<string> {
  const deadline = Date.now() + 120_000;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const r = spawnSync('dpkg', args, { env: ENV, input, encoding: 'utf8' });
    if (r.status === 0 || !/lock/i.test(r.stderr) || Date.now() > deadline) return r;
    Atomics.wait(tick, 0, 0, 200); // the lock is free again when the other run ends
  }
}

/**
 * Holds a package by hand as `apt-mark hold` does (a dpkg selection), without
 * apt's seconds of reading every package list.
 */
export function holdByHand(name: string): void {
  const r = dpkg(['--set-selections'], `${name} hold\n`);
  if (r.status !== 0) throw new Error(`cannot hold ${name}: ${r.stderr}`);
}

/**
 * Stops dpkg re-indexing every manual page after each run (man-db's trigger):
 * it doubles the Package tests' time and tests nothing of ours. As .ci/run does; root only.
 */
export function quietManDb(): void {
  if (canManagePackages) rmSync('/var/lib/man-db/auto-update', { force: true });
}

/** Installs packages by hand (as an operator would). */
export function installByHand(...names: string[]): void {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', ...names], {
    env: ENV,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cannot install ${names.join(' ')}: ${r.stderr}`);
}

/**
 * Holds apt's frontend lock (an fcntl lock, as apt takes it) from another
 * process until the returned function is called; undefined without python3.
 * Waits until the lock is really held.
 */
export function holdDpkgLock(): (() => void) | undefined {
  if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'setpoint-lock-'));
  const ready = join(dir, 'ready');
  const child = spawn(
    'python3',
    [
      '-c',
      'import fcntl,sys,time\nf=open("/var/lib/dpkg/lock-frontend","w")\nfcntl.lockf(f,fcntl.LOCK_EX)\nopen(sys.argv[1],"w").close()\ntime.sleep(600)',
      ready,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(ready)) {
    if (Date.now() > deadline) throw new Error('the lock holder did not start');
    Atomics.wait(tick, 0, 0, 20); // poll the condition (synchronous: breakApply is synchronous)
  }
  return () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
}
