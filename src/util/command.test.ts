/**
 * runCommand with real child processes: output capture, exit status, the
 * timeout that kills the whole process group (SIGTERM, then SIGKILL), abort,
 * and output decoding across chunk boundaries.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../test/helpers.js';
import { setActGuard } from './act-guard.js';
import { describeCommand, runCommand } from './command.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has exited; only its parent has not reaped it yet.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  return !alive(pid);
}

describe('runCommand', () => {
  it('runs a string through /bin/sh and captures stdout, stderr and the exit status', async () => {
    const r = await runCommand('echo out; echo err >&2; exit 7');
    assert.equal(r.exitCode, 7);
    assert.equal(r.signal, null);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.ok(r.durationMs >= 0);
  });

  it('runs an argv without a shell, in the given folder with the given environment', async () => {
    const dir = tempDir();
    const r = await runCommand(
      ['/bin/sh', '-c', 'printf "%s|%s|%s" "$1" "$PWD" "$GREETING"', 'sh', '$not expanded'],
      {
        cwd: dir,
        env: { GREETING: 'hello', PATH: process.env.PATH },
      },
    );
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, `$not expanded|${dir}|hello`);
    assert.equal(describeCommand(['a', 'b c']), 'a b c');
    assert.equal(describeCommand('a | b'), 'a | b');
  });

  it('keeps only the tail of long output', async () => {
    const r = await runCommand('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done', {
      maxOutputBytes: 20,
    });
    assert.equal(r.stdout.length, 20);
    assert.ok(r.stdout.endsWith('line 1998\nline 1999\n'), JSON.stringify(r.stdout));
  });

  it('decodes multi-byte characters split across output chunks', async () => {
    // An odd number of ASCII bytes first, so 2-byte characters straddle the pipe's chunk boundaries.
    const r = await runCommand([process.execPath, '-e', 'process.stdout.write("a" + "é".repeat(200000))'], {
      maxOutputBytes: 1_000_000,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.length, 200_001);
    assert.ok(!r.stdout.includes('\uFFFD'), 'no replacement characters');
  });

  it('at the timeout kills the whole process group, children included, with SIGTERM', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'child.pid');
    const started = performance.now();
    const r = await runCommand(`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 200 });
    const took = performance.now() - started;
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.exitCode, null);
    assert.ok(took >= 190 && took < 2_000, `took ${took} ms`);
    const child = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(child > 0);
    assert.equal(await gone(child), true, `background child ${child} survived the timeout`);
  });

  it('follows with SIGKILL 2 s later when the group ignores SIGTERM', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'child.pid');
    const started = performance.now();
    const r = await runCommand(`trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait; wait`, {
      timeoutMs: 100,
    });
    const took = performance.now() - started;
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(took >= 2_000 && took < 5_000, `took ${took} ms`);
    assert.equal(await gone(Number(readFileSync(pidFile, 'utf8'))), true);
  });

  it('stops the command when the signal aborts, without calling it a timeout', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const r = await runCommand('sleep 30', { signal: controller.signal });
    assert.ok(performance.now() - started < 2_000);
    assert.equal(r.timedOut, false);
    assert.equal(r.signal, 'SIGTERM');
  });

  it('does not run to completion when the signal was aborted before the start', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = performance.now();
    const r = await runCommand('sleep 5; echo finished', { signal: controller.signal });
    assert.ok(performance.now() - started < 2_000, 'stopped at once');
    assert.equal(r.stdout, '');
    assert.notEqual(r.exitCode, 0);
  });

  it('rejects when the program cannot be started', async () => {
    await assert.rejects(runCommand(['/nonexistent/program']), { code: 'ENOENT' });
  });
});

describe('runCommand under an act guard', () => {
  it('a refusing guard starts nothing; a passing one runs the command through its gate', async () => {
    const dir = tempDir();
    const out = join(dir, 'ran');
    const refuse = setActGuard(() => {
      throw new Error('lease lost');
    });
    try {
      await assert.rejects(runCommand(`echo x >> ${out}`), /lease lost/);
    } finally {
      refuse();
    }
    assert.equal(existsSync(out), false, 'nothing ran');

    const pass = setActGuard(() => undefined);
    try {
      const r = await runCommand(['/bin/sh', '-c', `echo "$0 $1" >> ${out}; echo done`, 'a b', 'c']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, 'done\n');
      assert.equal(readFileSync(out, 'utf8'), 'a b c\n', 'arguments pass the gate unchanged');
    } finally {
      pass();
    }
  });

  it('a guard that refuses once the command is spawned (a pause during the spawn) keeps it from running', async () => {
    const dir = tempDir();
    const out = join(dir, 'ran');
    let calls = 0;
    // Passes before the spawn, refuses right after it: as a lease that ran out while the fork was paused.
    const guard = setActGuard(() => {
      if (++calls > 1) throw new Error('lease lost during the spawn');
    });
    try {
      await assert.rejects(runCommand(`echo x >> ${out}`), /lease lost during the spawn/);
    } finally {
      guard();
    }
    // Once no process carries the command any more, it can no longer write.
    const running = () =>
      readdirSync('/proc').some((pid) => {
        try {
          return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(out);
        } catch {
          return false;
        }
      });
    while (running()) await sleep(10);
    assert.equal(existsSync(out), false, 'the command never got past its gate');
  });
});
