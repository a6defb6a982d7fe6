import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { record } from '../../test/support/store-contract.js';
import type { ApprovalRecord } from '../store/index.js';
import { SqliteStore } from '../store/sqlite/index.js';
import type { SloSpec } from '../telemetry/slo/schema.js';
import { compare, evaluateCheck, instantValue, judgeGate, nextCheckIn, type CheckOutcome } from './gates.js';

const pass: CheckOutcome = { check: 'a', ok: true, message: 'ok' };
const fail: CheckOutcome = { check: 'b', ok: false, message: 'bad' };
const wait: CheckOutcome = { check: 'c', ok: undefined, message: 'waits' };

describe('judgeGate', () => {
  it('fails at the first failing check, even before the window ends', () => {
    assert.equal(judgeGate([pass, fail], 0, 60_000, 10), 'failed');
    assert.equal(judgeGate([wait, fail], 0, 60_000, 10), 'failed');
  });
  it('passes only once every check passes and the window has elapsed', () => {
    assert.equal(judgeGate([pass, pass], 0, 60_000, 59_999), 'pending');
    assert.equal(judgeGate([pass, pass], 0, 60_000, 60_000), 'passed');
  });
  it('waits for an undecided approval however long the window', () => {
    assert.equal(judgeGate([pass, wait], 0, 1000, 10_000), 'pending');
  });
});

describe('nextCheckIn', () => {
  it('looks again at the next interval, or at the end of the window if sooner', () => {
    assert.equal(nextCheckIn(0, 60_000, 2000, 1000), 2000);
    assert.equal(nextCheckIn(0, 60_000, 2000, 59_500), 500);
    assert.equal(nextCheckIn(0, 1000, 2000, 5000), 2000, 'after the window: every interval');
    assert.equal(nextCheckIn(0, 1000, 2000, 995), 10, 'never a busy loop');
  });
});

describe('compare', () => {
  it('applies each comparison', () => {
    assert.deepEqual(
      (['<', '<=', '>', '>=', '==', '!='] as const).map((c) => compare(1, c, 1)),
      [false, true, false, true, true, false],
    );
    assert.equal(compare(0.5, '<', 1), true);
    assert.equal(compare(2, '>', 1), true);
  });
});

describe('instantValue', () => {
  it('reads a scalar or a vector of one sample', () => {
    assert.equal(
      instantValue({ status: 'success', data: { resultType: 'scalar', result: [1, '0.25'] } }),
      0.25,
    );
    assert.equal(
      instantValue({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, '3'] }] } }),
      3,
    );
  });
  it('refuses errors, several series, no series and non-numbers', () => {
    assert.throws(() => instantValue({ status: 'error' }), /not a success/);
    assert.throws(
      () => instantValue({ status: 'success', data: { resultType: 'vector', result: [] } }),
      /0 series, not 1/,
    );
    assert.throws(
      () =>
        instantValue({
          status: 'success',
          data: { resultType: 'vector', result: [{ value: [1, '1'] }, { value: [1, '2'] }] },
        }),
      /2 series/,
    );
    assert.throws(
      () => instantValue({ status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } }),
      /not a number/,
    );
    assert.throws(
      () => instantValue({ status: 'success', data: { resultType: 'matrix', result: [] } }),
      /matrix/,
    );
  });
});

describe('evaluateCheck', () => {
  const store = new SqliteStore(join(tempDir(), 'state.db'));
  let prometheus: Server;
  let url = '';
  /** What the fake Prometheus answers next: a value, or an HTTP status. */
  let answer: { value: string } | { status: number } = { value: '0.5' };
  /** Answers to given queries, before `answer`. */
  const byQuery = new Map<string, string>();
  const ctx = () => ({ store, slos: [], windowMs: 60_000, now: Date.now(), timeoutMs: 2000 });

  before(async () => {
    // A real HTTP server speaking the /api/v1/query answer format.
    prometheus = createServer((req, res) => {
      assert.match(req.url ?? '', /^\/api\/v1\/query\?query=/);
      const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      const value = byQuery.get(query) ?? ('value' in answer ? answer.value : undefined);
      if (value === undefined) res.writeHead((answer as { status: number }).status).end('{}');
      else
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'success',
            data: { resultType: 'vector', result: [{ value: [0, value] }] },
          }),
        );
    });
    await new Promise<void>((r) => prometheus.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}/`;
    await store.putResources([
      record('HttpCheck/default/up', { health: 'Healthy' }),
      record('HttpCheck/default/down', { health: 'Degraded', healthMessage: '500 in 3ms' }),
    ]);
  });
  after(async () => {
    await new Promise<void>((r) => prometheus.close(() => r()));
    await store.close();
  });

  it('health: passes when every resource is Healthy, names each one that is not', async () => {
    const ok = await evaluateCheck({ type: 'health', ids: ['HttpCheck/default/up'] }, ctx());
    assert.deepEqual(ok, { check: 'health of HttpCheck/default/up', ok: true, message: '1 healthy' });
    const bad = await evaluateCheck(
      { type: 'health', ids: ['HttpCheck/default/up', 'HttpCheck/default/down', 'HttpCheck/default/gone'] },
      ctx(),
    );
    assert.equal(bad.ok, false);
    assert.match(bad.message, /HttpCheck\/default\/down is Degraded \(500 in 3ms\)/);
    assert.match(bad.message, /HttpCheck\/default\/gone is unknown to the state/);
    assert.doesNotMatch(bad.message, /default\/up/);
  });

  it('prometheus: compares the instant value with the threshold', async () => {
    const check = {
      type: 'prometheus' as const,
      url,
      query: 'sum(rate(errors[1m]))',
      comparison: '<' as const,
      threshold: 1,
    };
    answer = { value: '0.5' };
    const ok = await evaluateCheck(check, ctx());
    assert.equal(ok.ok, true);
    assert.match(ok.message, /value 0.5 passes < 1/);
    answer = { value: '3' };
    const high = await evaluateCheck(check, ctx());
    assert.equal(high.ok, false);
    assert.match(high.message, /value 3 fails < 1/);
  });

  it('prometheus: an error answer or an unreachable server fails the check', async () => {
    const check = { type: 'prometheus' as const, url, query: 'up', comparison: '>' as const, threshold: 0 };
    answer = { status: 503 };
    const down = await evaluateCheck(check, ctx());
    assert.equal(down.ok, false);
    assert.match(down.message, /HTTP 503/);
    const gone = await evaluateCheck({ ...check, url: 'http://127.0.0.1:1' }, ctx());
    assert.equal(gone.ok, false);
    assert.match(gone.message, /cannot query http:\/\/127\.0\.0\.1:1/);
  });

  it('slo: an SLO not in slos: fails with its name', async () => {
    const out = await evaluateCheck({ type: 'slo', name: 'nope', maxBurnRate: 1 }, ctx());
    assert.deepEqual(out, {
      check: 'burn rate of SLO nope <= 1',
      ok: false,
      message: 'no SLO named nope in slos:',
    });
  });

  it('health: an HttpCheck result from before the step was ready neither passes nor fails the gate', async () => {
    const since = Date.now();
    const results = new Map([
      ['HttpCheck/default/up', { at: since - 50, ok: true, message: 'HTTP 200 in 2 ms' }],
      ['HttpCheck/default/down', { at: since - 50, ok: false, message: 'HTTP 500 in 2 ms' }],
    ]);
    const fresh = () => ({ ...ctx(), since, observed: (id: string) => results.get(id) });
    const check = { type: 'health' as const, ids: ['HttpCheck/default/up', 'HttpCheck/default/down'] };
    const stale = await evaluateCheck(check, fresh());
    assert.equal(stale.ok, undefined, JSON.stringify(stale));
    assert.match(
      stale.message,
      /waits for a result of HttpCheck\/default\/up, HttpCheck\/default\/down observed after/,
    );
    // The stored record (Degraded) is not looked at for a check whose results are reported.
    results.set('HttpCheck/default/down', { at: since + 10, ok: true, message: 'HTTP 200 in 3 ms' });
    results.set('HttpCheck/default/up', { at: since + 10, ok: true, message: 'HTTP 200 in 1 ms' });
    assert.equal((await evaluateCheck(check, fresh())).ok, true);
    results.set('HttpCheck/default/up', { at: since + 20, ok: false, message: 'connection refused' });
    const bad = await evaluateCheck(check, fresh());
    assert.equal(bad.ok, false);
    assert.match(bad.message, /HttpCheck\/default\/up is Degraded \(connection refused\)/);
  });

  it('health on nodes: a stale result (Degraded or not) makes the gate wait and says why; a fresh one is judged', async () => {
    const id = 'HttpCheck/default/up';
    let reported = [
      {
        target: 'node/n1',
        health: 'Degraded',
        stale: true,
        why: 'no result observed since the node took its set',
      },
    ];
    const onNodes = () => ({ ...ctx(), targetHealth: async () => new Map([[id, reported]]) });
    const waiting = await evaluateCheck({ type: 'health', ids: [id] }, onNodes());
    assert.equal(waiting.ok, undefined, JSON.stringify(waiting));
    assert.match(
      waiting.message,
      /HttpCheck\/default\/up on node\/n1 \(no result observed since the node took its set\)/,
    );
    reported = [{ target: 'node/n1', health: 'Degraded', stale: false, why: '' }];
    const failed = await evaluateCheck({ type: 'health', ids: [id] }, onNodes());
    assert.equal(failed.ok, false);
    assert.match(failed.message, /is Degraded on node\/n1/);
  });

  it('slo: the burn rate of a stored SLI over the window', async () => {
    const slo = (name: string, objective: number): SloSpec => ({
      name,
      sli: 'reconcile-success',
      objective,
      windowMs: 30 * 86_400_000,
      burnRates: [],
    });
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    await store.addSliSamples([
      { sli: 'reconcile-success', minute: minute - 2, good: 90, total: 100 },
      { sli: 'reconcile-success', minute: minute - 1, good: 100, total: 100 },
    ]);
    const c = { ...ctx(), now, slos: [slo('loose', 0.9), slo('tight', 0.999)], windowMs: 10 * 60_000 };
    const loose = await evaluateCheck({ type: 'slo', name: 'loose', maxBurnRate: 1 }, c);
    assert.equal(loose.ok, true, loose.message);
    assert.match(loose.message, /burn rate 0\.50 over 600s \(190\/200 good\)/);
    const tight = await evaluateCheck({ type: 'slo', name: 'tight', maxBurnRate: 1 }, c);
    assert.equal(tight.ok, false, tight.message);
    assert.match(tight.message, /burn rate 50\.00/);
    // Over a window that misses the bad minute, the same SLO passes.
    const recent = await evaluateCheck({ type: 'slo', name: 'tight', maxBurnRate: 1, windowMs: 90_000 }, c);
    assert.equal(recent.ok, true, recent.message);
  });

  it('slo: an SLI counted by Prometheus is read from Prometheus, and fails when it cannot be', async () => {
    const spec: SloSpec = {
      name: 'web',
      sli: 'prometheus',
      objective: 0.99,
      windowMs: 86_400_000,
      burnRates: [],
      prometheus: { url, good: 'sum(increase(ok[$window]))', total: 'sum(increase(all[$window]))' },
    };
    const c = { ...ctx(), slos: [spec], windowMs: 5 * 60_000 };
    byQuery.set('sum(increase(ok[5m]))', '995');
    byQuery.set('sum(increase(all[5m]))', '1000');
    const ok = await evaluateCheck({ type: 'slo', name: 'web', maxBurnRate: 1 }, c);
    assert.equal(ok.ok, true, ok.message);
    assert.match(ok.message, /\(995\/1000 good\)/);
    byQuery.set('sum(increase(ok[5m]))', '900');
    const burning = await evaluateCheck({ type: 'slo', name: 'web', maxBurnRate: 1 }, c);
    assert.equal(burning.ok, false, burning.message);
    assert.match(burning.message, /burn rate 10\.00/);
    const away = await evaluateCheck(
      { type: 'slo', name: 'web', maxBurnRate: 1 },
      { ...c, slos: [{ ...spec, prometheus: { ...spec.prometheus!, url: 'http://127.0.0.1:1' } }] },
    );
    assert.equal(away.ok, false);
    assert.match(away.message, /cannot read the SLI of web/);
  });

  it('approval: undecided until one is requested and decided', async () => {
    const out = await evaluateCheck({ type: 'approval' }, ctx());
    assert.equal(out.ok, undefined);
    assert.match(out.message, /no approval requested yet/);
    const approval: ApprovalRecord = {
      id: 'ab12cd34',
      resourceId: 'Rollout/default/app',
      revisionId: 'r2',
      op: 'promote',
      reason: 'promote r2 past step 2',
      destructive: false,
      changes: [],
      desiredDigest: 'x',
      changeDigest: 'x:1',
      state: 'pending',
      createdAt: new Date().toISOString(),
    };
    await store.putApproval(approval);
    const c = { ...ctx(), approvalId: approval.id };
    const pending = await evaluateCheck({ type: 'approval' }, c);
    assert.equal(pending.ok, undefined);
    assert.match(pending.message, /setpoint approve ab12cd34/);
    await store.putApproval({ ...approval, state: 'approved', decidedBy: 'carol' });
    assert.deepEqual(await evaluateCheck({ type: 'approval' }, c), {
      check: 'manual approval',
      ok: true,
      message: 'approved by carol',
    });
    await store.putApproval({ ...approval, state: 'rejected', decidedBy: 'dave', note: 'not today' });
    const rejected = await evaluateCheck({ type: 'approval' }, c);
    assert.equal(rejected.ok, false);
    assert.equal(rejected.message, 'rejected by dave: not today');
  });
});
