/**
 * Restart policy, crash-loop backoff and stopping, with real processes: a
 * command that exits at once backs off with growing waits and is Degraded
 * with its restart count; OnFailure and Never leave finished replicas down;
 * a child that ignores its stop signal is killed after the grace period.
 */
import {
  pidRunning,
  records,
  removeAll,
  resetWork,
  sleeper,
  waitFor,
  withProcess,
  type ProcessHarness,
} from './testkit.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, describe, it } from 'node:test';
import { ProviderError } from '../../provider/errors.js';
import { type ProcessActual } from './index.js';

afterEach(resetWork);
after(removeAll);

const exitAtOnce = (code: number) => `console.log('crashing'); process.exit(${code})`;

/** Waits until no replica runs any more. */
async function exited(h: ProcessHarness, raw: unknown): Promise<ProcessActual> {
  const r = await h.load(raw);
  let seen: ProcessActual | undefined;
  await waitFor('the replica to exit', async () => {
    seen = await h.observe(r);
    return seen !== undefined && seen.replicas.every((x) => !x.running);
  });
  return seen!;
}

async function applyError(h: ProcessHarness, raw: unknown): Promise<ProviderError> {
  const r = await h.load(raw);
  const err = await h.apply(r, await h.observe(r)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
  return err;
}

/** These tests use the provider's default poll interval. */
const withDefaultPoll = (body: Parameters<typeof withProcess>[0]) => withProcess(body, {});

describe('Process restart policy and crash-loop backoff', () => {
  it('restarts at once after one exit, then waits with growing retryAfterMs, Degraded with the count', () =>
    withDefaultPoll(async (h, sb) => {
      const raw = {
        command: process.execPath,
        args: ['-e', exitAtOnce(3)],
        cwd: sb.targetDir,
        // The apply after an exit must come before the wait is over (else it restarts at once):
        // 1s leaves room for a loaded machine.
        backoff: { initial: '1s', max: '10s' },
      };
      const r = await h.load(raw);
      await h.apply(r, undefined);
      await exited(h, raw);
      // First exit: restarted at once, no error.
      const restarted = await h.apply(r, await h.observe(r));
      assert.equal(restarted.replicas[0].restarts, 1);

      const delays: number[] = [];
      for (let round = 0; round < 3; round++) {
        const down = await exited(h, raw);
        assert.equal(down.replicas[0].lastExit?.code, 3);
        const err = await applyError(h, raw);
        assert.equal(err.code, 'SETPOINT_CRASH_LOOP');
        assert.equal(err.field, 'spec.command');
        assert.match(err.hint ?? '', /conformance-0\.log/);
        // The delay the engine recorded: from the exit it recorded to the earliest restart.
        const rec = records().get(0)!;
        assert.ok(rec.lastExit && rec.nextStartAt !== undefined, 'exit and next start recorded');
        delays.push(rec.nextStartAt - rec.lastExit.at);
        assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 0);
        assert.ok(err.retryAfterMs <= delays[round], `retryAfterMs ${err.retryAfterMs} within the delay`);

        const waiting = (await h.observe(r))!;
        assert.equal(waiting.replicas[0].nextStartAt, rec.nextStartAt);
        const health = h.provider.health!(r.desired, waiting);
        assert.equal(health.status, 'Degraded');
        assert.match(
          health.message ?? '',
          new RegExp(`^crash loop: restarted ${round + 1} times?, next start in \\d+m?s$`),
        );

        // A retry before the time is up waits again, without starting anything.
        const retry = await applyError(h, raw);
        assert.equal(retry.code, 'SETPOINT_CRASH_LOOP');
        assert.ok(retry.retryAfterMs! <= err.retryAfterMs);
        assert.equal(records().get(0)?.nextStartAt, rec.nextStartAt, 'the retry started nothing');
        await waitFor('the recorded next start', () => Date.now() >= rec.nextStartAt!, 30_000);
        const again = await h.apply(r, await h.observe(r));
        assert.equal(again.replicas[0].restarts, round + 2);
      }
      // Doubling from backoff.initial, as recorded (not measured on the clock).
      assert.deepEqual(delays, [1000, 2000, 4000]);
      assert.equal(records().get(0)?.failures, 4);
      assert.match(readFileSync(restarted.replicas[0].log, 'utf8'), /(crashing\n){4}/);
    }));

  it('OnFailure leaves a replica that exited 0 down, and restarts one that failed', () =>
    withDefaultPoll(async (h, sb) => {
      const raw = (code: number) => ({
        command: process.execPath,
        args: ['-e', exitAtOnce(code)],
        cwd: sb.targetDir,
        restartPolicy: 'OnFailure',
      });
      const ok = await h.load(raw(0));
      await h.apply(ok, undefined);
      const done = await exited(h, raw(0));
      assert.deepEqual(h.diff(ok, done), []);
      assert.deepEqual(h.provider.health!(ok.desired, done), {
        status: 'Healthy',
        message: '0 of 1 replica ready, 1 completed',
      });

      // A new spec (exit 1) runs again, and its failure is restarted.
      const failing = await h.load(raw(1));
      assert.deepEqual(
        h.diff(failing, done).map((c) => c.path),
        ['spec.replicas', 'spec.args'],
      );
      await h.apply(failing, done);
      const failed = await exited(h, raw(1));
      assert.deepEqual(h.diff(failing, failed), [{ path: 'spec.replicas', old: 0, new: 1 }]);
      assert.equal((await h.apply(failing, failed)).replicas[0].restarts, 1);
    }));

  it('Never leaves an exited replica down and reports a failure as Degraded', () =>
    withDefaultPoll(async (h, sb) => {
      const raw = {
        command: process.execPath,
        args: ['-e', exitAtOnce(2)],
        cwd: sb.targetDir,
        restartPolicy: 'Never',
      };
      const r = await h.load(raw);
      await h.apply(r, undefined);
      const down = await exited(h, raw);
      assert.deepEqual(h.diff(r, down), []);
      assert.deepEqual(h.provider.health!(r.desired, down), {
        status: 'Degraded',
        message: 'the process exited (exit code 2) and restartPolicy is Never',
      });
      const again = await h.apply(r, down);
      assert.equal(again.replicas[0].running, false, 'apply does not restart it');
    }));

  it('sends SIGKILL to a child that ignores its stop signal once the grace period is over', () =>
    withDefaultPoll(async (h, sb) => {
      const stubborn = sleeper(120, "process.on('SIGTERM', () => console.log('ignoring SIGTERM'))");
      const { r, actual } = await h.converge({
        command: process.execPath,
        args: ['-e', stubborn],
        cwd: sb.targetDir,
        gracePeriod: '400ms',
      });
      await waitFor('the handler to be installed', () =>
        readFileSync(actual.replicas[0].log, 'utf8').includes('replica'),
      );
      const started = Date.now();
      await h.destroy(r, actual);
      const took = Date.now() - started;
      assert.equal(pidRunning(actual.replicas[0].pid!), false);
      assert.ok(took >= 400 && took < 3000, `stopped after ${took}ms`);
      assert.match(readFileSync(actual.replicas[0].log, 'utf8'), /ignoring SIGTERM/);
    }));

  it('uses the declared stop signal, and a child that honours it stops without waiting', () =>
    withDefaultPoll(async (h, sb) => {
      const polite = sleeper(
        120,
        "process.on('SIGTERM', () => {}); process.on('SIGUSR2', () => { console.log('bye'); process.exit(0); })",
      );
      const { r, actual } = await h.converge({
        command: process.execPath,
        args: ['-e', polite],
        cwd: sb.targetDir,
        stopSignal: 'SIGUSR2',
        gracePeriod: '5s',
      });
      await waitFor('the handler to be installed', () =>
        readFileSync(actual.replicas[0].log, 'utf8').includes('replica'),
      );
      const started = Date.now();
      await h.destroy(r, actual);
      assert.ok(Date.now() - started < 2000);
      assert.match(readFileSync(actual.replicas[0].log, 'utf8'), /bye/);
    }));

  it('also stops what the replica started in its process group', () =>
    withDefaultPoll(async (h, sb) => {
      const parent = `const c = require('child_process').spawn('sleep', ['120'], { stdio: 'ignore' }); console.log('child', c.pid); setTimeout(() => {}, 120000)`;
      const { r, actual } = await h.converge({
        command: process.execPath,
        args: ['-e', parent],
        cwd: sb.targetDir,
      });
      let grandchild = 0;
      await waitFor('the grandchild pid', () => {
        grandchild = Number(/child (\d+)/.exec(readFileSync(actual.replicas[0].log, 'utf8'))?.[1] ?? 0);
        return grandchild > 0;
      });
      assert.equal(pidRunning(grandchild), true);
      await h.destroy(r, actual);
      await waitFor('the grandchild to die', () => !pidRunning(grandchild), 3000);
    }));
});
