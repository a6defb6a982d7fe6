/** Test helpers for system packages: put the host back, hold the dpkg lock like another apt run would. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Whether this host can run the package tests: root with apt and dpkg. */
export const canManagePackages =
  process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;

/** Removes the packages (and their holds) if installed. */
export function purgePackages(...names: string[]): void {
  spawnSync('apt-mark', ['unhold', ...names], { stdio: 'ignore' });
  const installed = names.filter((n) =>
    spawnSync('dpkg-query', ['-W', '-f=${Status}', n], { encoding: 'utf8' }).stdout.includes(' installed'),
  );
  if (installed.length === 0) return;
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'purge', '-y', ...installed], {
    env: ENV,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cannot purge ${installed.join(' ')}: ${r.stderr}`);
}

/** Installs packages by hand (as an operator would). */
export function installByHand(...names: string[]): void {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', ...names], {
    env: ENV,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cannot install ${names.join(' ')}: ${r.stderr}`);
}

export function run(argv: string[]): void {
  const r = spawnSync(argv[0], argv.slice(1), { env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
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
