import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { record } from '../../test/support/store-contract.js';
import { SqliteStore } from '../store/sqlite/index.js';
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
  const ctx = () => ({ store, slos: [], windowMs: 60_000, now: Date.now(), timeoutMs: 2000 });

  before(async () => {
    // A real HTTP server speaking the /api/v1/query answer format.
    prometheus = createServer((req, res) => {
      assert.match(req.url ?? '', /^\/api\/v1\/query\?query=/);
      if ('status' in answer) res.writeHead(answer.status).end('{}');
      else
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'success',
            data: { resultType: 'vector', result: [{ value: [0, answer.value] }] },
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

  it('approval: undecided until one is requested and decided', async () => {
    const out = await evaluateCheck({ type: 'approval' }, ctx());
    assert.equal(out.ok, undefined);
    assert.match(out.message, /no approval requested yet/);
  });
});
