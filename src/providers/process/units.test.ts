/**
 * The pure parts of Process: backoff arithmetic, `${replica}` substitution,
 * /proc/<pid>/stat parsing, health sentences and the create diff.
 */
import { removeAll, resetWork, sleeper, spawnForeign, waitFor } from './testkit.js';
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { afterExit, describeExit, restartDelay, shouldRestart } from './backoff.js';
import { substitute, type ProcessDesired } from './desired.js';
import type { ProcessActual, ReplicaActual } from './observe.js';
import { identify, isAlive, readStat } from './proc.js';
import { ProcessSpecSchema } from './spec.js';
import type { ReplicaRecord } from './state.js';
import { diffProcess, formatWait, healthOf } from './status.js';

afterEach(resetWork);
after(removeAll);

describe('Process backoff', () => {
  it('restarts at once after one exit, then doubles from initial up to max', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 20, 2000].map((n) => restartDelay(n, 1000, 8000)),
      [0, 1000, 2000, 4000, 8000, 8000, 8000, 8000],
    );
  });

  it('counts exits in a row, and starts a new count after a run of twice max', () => {
    const rec: ReplicaRecord = {
      version: 1,
      index: 0,
      process: { pid: 10, startTime: 1, bootId: 'b' },
      digest: 'd',
      started: { command: 'x', args: [], cwd: '/', env: {} },
      restarts: 3,
      failures: 3,
      startedAt: 1_000_000,
    };
    const quick = afterExit(rec, { pid: 10, code: 1, signal: null, at: 1_000_500 }, 1000, 60_000);
    assert.equal(quick.failures, 4);
    assert.equal(quick.nextStartAt, 1_000_500 + 4000);
    assert.equal(quick.process, undefined);
    const longRun = afterExit(rec, { pid: 10, code: 1, signal: null, at: 1_000_000 + 120_000 }, 1000, 60_000);
    assert.equal(longRun.failures, 1);
    assert.equal(longRun.nextStartAt, 1_000_000 + 120_000);
  });

  it('applies the restart policy to the exit', () => {
    assert.equal(shouldRestart('Always', { code: 0 }), true);
    assert.equal(shouldRestart('OnFailure', { code: 0 }), false);
    assert.equal(shouldRestart('OnFailure', { code: 1 }), true);
    assert.equal(shouldRestart('OnFailure', { code: null }), true, 'an unknown exit counts as a failure');
    assert.equal(shouldRestart('Never', { code: 1 }), false);
    assert.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'killed by SIGKILL');
    assert.equal(describeExit({ code: null, signal: null }), 'exit status unknown');
  });

  it('formats waits as short durations', () => {
    assert.deepEqual([250, 1000, 1001, 20_000, 59_500, 60_000, 270_000].map(formatWait), [
      '250ms',
      '1s',
      '2s',
      '20s',
      '1m',
      '1m',
      '4m30s',
    ]);
  });
});

describe('Process ${replica} substitution', () => {
  it('replaces ${replica} and ${replica+N}, and leaves other text alone', () => {
    assert.equal(substitute('--port=${replica+8080}', 2), '--port=8082');
    assert.equal(substitute('web-${replica}-${replica + 10}', 1), 'web-1-11');
    assert.equal(substitute('$HOME ${other} ${replica-1}', 1), '$HOME ${other} ${replica-1}');
  });
});

describe('Process /proc reading', () => {
  it('parses a stat line whose command name holds spaces and parentheses, and sees zombies as dead', async () => {
    const id = spawnForeign(`process.title = 'we) ird (x'; ${sleeper()}`);
    await waitFor('the title', () => readStat(id.pid) !== undefined && isAlive(id));
    const st = readStat(id.pid)!;
    assert.equal(st.startTime, id.startTime);
    assert.equal(st.pgrp, id.pid, 'detached: it leads its own group');
    assert.match(st.state, /^[RS]$/);
    assert.deepEqual(identify(id.pid), id);
    process.kill(id.pid, 'SIGKILL');
    await waitFor('death', () => !isAlive(id));
    assert.equal(identify(id.pid), undefined);
  });
});

describe('Process health and diff', () => {
  const desired = (raw: Record<string, unknown>, digest = 'd'): ProcessDesired =>
    ({
      spec: ProcessSpecSchema.parse({ command: 'node', ...raw }),
      digest,
      started: { command: 'node', args: [], cwd: '/', env: {} },
    }) as unknown as ProcessDesired;
  const replica = (index: number, extra: Partial<ReplicaActual>): ReplicaActual => ({
    index,
    running: true,
    ready: true,
    pid: 100 + index,
    restarts: 0,
    failures: 0,
    digest: 'd',
    started: { command: 'node', args: [], cwd: '/', env: {} },
    log: `/logs/web-${index}.log`,
    ...extra,
  });
  const actual = (...replicas: ReplicaActual[]): ProcessActual => ({ replicas, strays: [] });

  it('names the crash-looping replica, its restart count and the wait', () => {
    const now = 1_000_000;
    const looping = replica(1, {
      running: false,
      ready: false,
      pid: undefined,
      restarts: 5,
      failures: 6,
      lastExit: { code: 1, signal: null },
      nextStartAt: now + 20_000,
    });
    assert.deepEqual(healthOf(desired({ replicas: 2 }), actual(replica(0, {}), looping), now), {
      status: 'Degraded',
      message: 'crash loop: replica 1 restarted 5 times, next start in 20s',
    });
    assert.deepEqual(
      healthOf(desired({ replicas: 2 }), actual(replica(0, {}), { ...looping, nextStartAt: now - 1 }), now),
      {
        status: 'Degraded',
        message: 'crash loop: replica 1 restarted 5 times, exit code 1',
      },
    );
  });

  it('counts ready replicas on the current spec, and extras still running', () => {
    const d = desired({ replicas: 2 });
    assert.equal(
      healthOf(d, actual(replica(0, {}), replica(1, { digest: 'old' }))).message,
      '1 of 2 replicas ready',
    );
    assert.deepEqual(healthOf(d, actual(replica(0, {}), replica(1, {}), replica(2, {}))), {
      status: 'Progressing',
      message: '2 of 2 replicas ready, 1 more process to stop',
    });
    // Status counts what runs: a marked process no record knows is one more, never "2 of 2" healthy.
    const stray: ProcessActual = {
      replicas: [replica(0, {}), replica(1, {})],
      strays: [{ index: 1, pid: 999 }],
    };
    assert.deepEqual(healthOf(d, stray), {
      status: 'Progressing',
      message: '2 of 2 replicas ready, 1 more process to stop',
    });
    assert.deepEqual(diffProcess(d, stray), [{ path: 'spec.replicas', old: 3, new: 2 }]);
    assert.deepEqual(
      diffProcess(
        desired({ replicas: 2, restartPolicy: 'Never' }),
        actual(replica(0, {}), replica(1, { running: false, ready: false, interrupted: true })),
      ),
      [{ path: 'spec.replicas', old: 1, new: 2 }],
      'a start interrupted before its spawn is missing, whatever the restart policy',
    );
    assert.deepEqual(
      healthOf(
        d,
        actual(replica(0, { running: false, ready: false }), replica(1, { running: false, ready: false })),
      ),
      {
        status: 'Missing',
        message: '0 of 2 replicas running',
      },
    );
    assert.deepEqual(healthOf(desired({ replicas: 0 }), actual(replica(0, {}))), {
      status: 'Progressing',
      message: '1 replica to stop',
    });
  });

  it('diffs a create as command, args and replicas, and an extra replica as a scale-down', () => {
    assert.deepEqual(diffProcess(desired({ replicas: 2 }), undefined), [
      { path: 'spec.command', new: 'node' },
      { path: 'spec.replicas', new: 2 },
    ]);
    assert.deepEqual(diffProcess(desired({ replicas: 1 }), actual(replica(0, {}), replica(1, {}))), [
      { path: 'spec.replicas', old: 2, new: 1 },
    ]);
    assert.deepEqual(
      diffProcess(desired({ replicas: 1 }), actual(replica(0, {}), replica(1, { running: false }))),
      [],
      'a dead extra is no drift',
    );
  });
});
