/**
 * Health-gated rolling updates on real processes and real HTTP servers: a
 * new replica that is not ready by progressDeadline (or exits) stops the
 * update and brings the previous spec back; the failed spec is not tried
 * again; a surge replica is tried before any old one stops; a down replica
 * counts as unavailable; restartOn restarts one replica at a time.
 */
import {
  records,
  removeAll,
  resetWork,
  STATE_DIR,
  waitFor,
  withProcess,
  type ProcessHarness,
} from './testkit.js';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { freePorts } from '../../../test/support/ports.js';
import { after, afterEach, describe, it } from 'node:test';
import { type Sandbox } from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import { readHistory } from './history.js';
import { type ProcessDesired } from './index.js';
import { updateLimits } from './rolling.js';
import { killReplica } from './testkit.js';

afterEach(resetWork);
after(removeAll);

const serving = (delayMs = 0) =>
  `setTimeout(() => require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1'), ${delayMs}); setTimeout(() => {}, 120000)`;
/** Runs but never listens: readiness never passes. */
const silent = 'setTimeout(() => {}, 120000)';

function spec(sb: Sandbox, script: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    command: process.execPath,
    args: ['-e', script, `\${replica+${port}}`],
    cwd: sb.targetDir,
    replicas: 2,
    gracePeriod: '1s',
    readiness: { http: { url: `http://127.0.0.1:\${replica+${port}}/` }, period: '100ms', timeout: '300ms' },
    rollingUpdate: { progressDeadline: '1s' },
    ...extra,
  };
}

async function healthy(h: ProcessHarness, raw: unknown) {
  const { r } = await h.converge(raw);
  await waitFor(
    'all replicas ready',
    async () => h.provider.health!(r.desired, await h.observe(r)).status === 'Healthy',
  );
  return r;
}

const pids = () => [...records().values()].sort((a, b) => a.index - b.index).map((r) => r.process?.pid);

async function rejectsRolledBack(p: Promise<unknown>): Promise<ProviderError> {
  let caught: unknown;
  await p.catch((err: unknown) => (caught = err));
  assert.ok(caught instanceof ProviderError, `expected a ProviderError, got ${String(caught)}`);
  assert.equal(caught.code, 'SETPOINT_ROLLED_BACK', caught.message);
  return caught;
}

describe('Process rolling updates with health gates', () => {
  it('a new replica not ready by progressDeadline stops the update and brings the previous spec back', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      const v1 = await healthy(h, spec(sb, serving(), port));
      const [, pid1] = pids();
      const broken = await h.load(spec(sb, silent, port));
      const err = await rejectsRolledBack(h.apply(broken, await h.observe(broken)));
      assert.match(err.message, /replica 0 was not ready within 1s \(progressDeadline\)/);
      assert.match(err.message, /the replicas run the previous spec/);
      assert.equal(pids()[1], pid1, 'replica 1 was never taken down');
      assert.ok([...records().values()].every((r) => r.digest === v1.desired.digest));
      const reasons = h.events.map((e) => e.reason);
      for (const reason of ['ReplicaUpdated', 'RolloutStalled', 'ReplicaRolledBack', 'RolledBack'])
        assert.ok(reasons.includes(reason), `${reason} in ${reasons.join(', ')}`);
      assert.equal(readHistory(STATE_DIR).failed?.digest, broken.desired.digest);
      await waitFor('the previous spec ready again', async () =>
        (await h.observe(v1))!.replicas.every((x) => x.ready),
      );

      // The same spec again: not rolled out (no replica is touched), the failure is repeated.
      const before = pids();
      await rejectsRolledBack(h.apply(broken, await h.observe(broken)));
      assert.deepEqual(pids(), before);

      // A changed spec is rolled out, and once every replica is ready it is the new last good one.
      const v2 = await h.load(spec(sb, serving(), port, { env: { VERSION: '2' } }));
      await h.apply(v2, await h.observe(v2));
      assert.ok([...records().values()].every((r) => r.digest === v2.desired.digest));
      const history = readHistory(STATE_DIR);
      assert.equal(history.lastGood?.digest, v2.desired.digest);
      assert.equal(history.failed, undefined);
    }));

  it('a new replica that exits is rolled back at once, without waiting for the deadline', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      await healthy(h, spec(sb, serving(), port));
      const crashing = await h.load(
        spec(sb, 'process.exit(3)', port, { rollingUpdate: { progressDeadline: '30s' } }),
      );
      const started = Date.now();
      const err = await rejectsRolledBack(h.apply(crashing, await h.observe(crashing)));
      assert.match(err.message, /replica 0 exited \(exit code 3\) before it was ready/);
      assert.ok(Date.now() - started < 15_000, 'did not wait for the 30s deadline');
    }));

  it('maxSurge: the new spec is tried on an extra replica first, so no old replica stops', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(3);
      const surge = { rollingUpdate: { maxSurge: 1, maxUnavailable: 0, progressDeadline: '1s' } };
      await healthy(h, spec(sb, serving(), port, surge));
      const before = pids();
      const broken = await h.load(spec(sb, silent, port, surge));
      await rejectsRolledBack(h.apply(broken, await h.observe(broken)));
      assert.deepEqual(pids(), before, 'the old replicas kept running');
      assert.ok(h.events.some((e) => e.reason === 'ReplicaSurged'));
      assert.equal(existsSync(`${STATE_DIR}/replica-2.json`), false, 'the surge replica is gone');

      // A good spec goes through the surge replica too and ends with exactly 2 replicas.
      const v2 = await h.load(spec(sb, serving(), port, { ...surge, env: { VERSION: '2' } }));
      const actual = await h.apply(v2, await h.observe(v2));
      assert.deepEqual(
        actual.replicas.map((r) => [r.index, r.digest === v2.desired.digest]),
        [
          [0, true],
          [1, true],
        ],
      );
    }));

  it('a down replica counts as unavailable: the running one is replaced only after it is ready', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      await healthy(h, spec(sb, serving(), port));
      killReplica(1);
      const v2 = await h.load(spec(sb, serving(400), port, { env: { VERSION: '2' } }));
      await h.apply(v2, await h.observe(v2));
      const [r0, r1] = [...records().values()].sort((a, b) => a.index - b.index);
      assert.ok(r0.startedAt - r1.startedAt >= 400, 'replica 0 stopped only once replica 1 served');
    }));

  it('restartOn: a notification restarts the replicas one at a time', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      const r = await healthy(h, spec(sb, serving(300), port, { restartOn: ['File/conf'] }));
      assert.deepEqual(h.provider.subscribesTo!(r.spec), ['File/conf']);
      const before = [...records().values()].sort((a, b) => a.index - b.index);
      const message = await h.provider.notify!(r.desired, await h.observe(r), ['File/default/conf'], r.ctx);
      assert.equal(message, 'restarted 2 replicas one batch at a time');
      const [r0, r1] = [...records().values()].sort((a, b) => a.index - b.index);
      assert.ok(r0.process!.pid !== before[0].process!.pid && r1.process!.pid !== before[1].process!.pid);
      assert.ok(r1.startedAt - r0.startedAt >= 300, 'replica 1 restarted after replica 0 was ready');
    }));
});

describe('updateLimits', () => {
  const limits = (replicas: number, maxUnavailable: number | string, maxSurge: number | string) =>
    updateLimits({ spec: { replicas, rollingUpdate: { maxUnavailable, maxSurge } } } as ProcessDesired);
  it('rounds percentages as Kubernetes does: unavailable down, surge up', () => {
    assert.deepEqual(limits(10, '25%', '25%'), { maxUnavailable: 2, maxSurge: 3 });
    assert.deepEqual(limits(2, 1, 0), { maxUnavailable: 1, maxSurge: 0 });
  });
  it('replaces one at a time when both round to 0', () => {
    assert.deepEqual(limits(2, '10%', '0%'), { maxUnavailable: 1, maxSurge: 0 });
  });
});
