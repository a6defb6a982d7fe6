/**
 * HttpCheck against a real HTTP server: Healthy with the figures, Degraded by
 * status, body, JSON path, latency and by no answer; headers (secret ones
 * too) are sent but never appear in the result, the diff or events; an event
 * when the verdict flips; `watch` asks again every interval; bad patterns and
 * paths are refused by the schema.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSandbox, Harness } from '../../provider/conformance.js';
import { createHttpCheckProvider, onHttpCheck, type HttpCheckSpec } from './index.js';
import { parseJsonPath, readJsonPath } from './json-path.js';

const SECRET = 'sekret-token-8f3a1c';
let server: Server;
let base: string;
let lastAuth: string | undefined;
let healthy = true;

before(async () => {
  server = createServer((req, res) => {
    lastAuth = req.headers.authorization;
    const url = req.url ?? '/';
    if (url === '/slow') return void setTimeout(() => res.end('ok'), 300);
    if (url === '/json') return void res.end(JSON.stringify({ status: 'up', checks: [{ ok: healthy }] }));
    if (url === '/flip') {
      res.statusCode = healthy ? 200 : 503;
      return void res.end(healthy ? 'fine' : 'down');
    }
    if (url === '/auth') res.statusCode = lastAuth === `Bearer ${SECRET}` ? 200 : 401;
    res.end('hello world');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function harness() {
  const sb = createSandbox();
  after(() => sb.dispose());
  return new Harness(createHttpCheckProvider(), sb, { env: { SPT_CHECK_TOKEN: SECRET } });
}

async function check(h: ReturnType<typeof harness>, spec: Record<string, unknown>) {
  const r = await h.load(spec);
  const actual = await h.observe(r);
  return { r, actual, health: h.provider.health!(r.desired, actual), changes: h.diff(r, actual) };
}

describe('HttpCheck', () => {
  it('Healthy with the status and latency; no change to report', async () => {
    const h = harness();
    const { actual, health, changes } = await check(h, { url: `${base}/`, expect: { body: 'hello' } });
    assert.equal(health.status, 'Healthy');
    assert.match(health.message ?? '', /^200 in \d+ms, body matched$/);
    assert.equal(actual?.status, 200);
    assert.deepEqual(changes, []);
  });

  it('Degraded by status, with the measured and expected statuses', async () => {
    const h = harness();
    const { health, changes } = await check(h, { url: `${base}/auth` });
    assert.equal(health.status, 'Degraded');
    assert.match(health.message ?? '', /^401 in \d+ms: expected status 200-399$/);
    assert.deepEqual(changes, [{ path: 'spec.expect.status', old: 401, new: '200-399' }]);
  });

  it('Degraded by body and by JSON path', async () => {
    const h = harness();
    const body = await check(h, { url: `${base}/`, expect: { body: '^bye' } });
    assert.equal(body.health.status, 'Degraded');
    assert.match(body.health.message ?? '', /body did not match/);
    healthy = false;
    try {
      const json = await check(h, {
        url: `${base}/json`,
        expect: { json: { path: '$.checks[0].ok', equals: true } },
      });
      assert.equal(json.health.status, 'Degraded');
      assert.match(json.health.message ?? '', /\$\.checks\[0\]\.ok is false, expected true/);
      assert.deepEqual(json.changes, [{ path: 'spec.expect.json', old: 'false', new: 'true' }]);
    } finally {
      healthy = true;
    }
    const ok = await check(h, { url: `${base}/json`, expect: { json: { path: 'status', equals: 'up' } } });
    assert.equal(ok.health.status, 'Healthy');
  });

  it('Degraded by latency over maxLatency, and by a timeout', async () => {
    const h = harness();
    const slow = await check(h, { url: `${base}/slow`, expect: { maxLatency: '100ms' } });
    assert.equal(slow.health.status, 'Degraded');
    assert.match(slow.health.message ?? '', /slower than 100ms/);
    assert.ok(slow.actual!.latencyMs >= 300);
    const timedOut = await check(h, { url: `${base}/slow`, timeout: '100ms' });
    assert.equal(timedOut.health.status, 'Degraded');
    assert.match(timedOut.health.message ?? '', /no answer within 100ms \(timeout\)/);
  });

  it('Degraded with the reason when nothing answers', async () => {
    const h = harness();
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const { health, changes } = await check(h, { url: `http://127.0.0.1:${port}/` });
    assert.match(health.message ?? '', /^connection refused after \d+ms$/);
    assert.deepEqual(changes, [{ path: 'spec.url', old: 'connection refused', new: 'an answer' }]);
  });

  it('sends a secret header, which appears nowhere in the result, the diff or events', async () => {
    const h = harness();
    const spec = {
      url: `${base}/auth`,
      headers: { Authorization: { secretRef: { env: 'SPT_CHECK_TOKEN' } } },
    };
    const reports: unknown[] = [];
    const off = onHttpCheck((r) => reports.push(r));
    try {
      const ok = await check(h, spec);
      assert.equal(ok.health.status, 'Degraded', 'without the Bearer prefix the server says 401');
      const bearer = await check(h, {
        ...spec,
        headers: { Authorization: { secretRef: { env: 'SPT_BEARER' } } },
      }).catch((err: Error) => err);
      assert.ok(bearer instanceof Error && /SPT_BEARER/.test(bearer.message));
    } finally {
      off();
    }
    assert.equal(lastAuth, SECRET, 'the header was sent');
    const seen = JSON.stringify([h.events, reports]);
    assert.ok(!seen.includes(SECRET), seen);
    assert.ok(reports.length >= 1);
  });

  it('emits CheckFailed and CheckPassed when the verdict flips, not on every check', async () => {
    const h = harness();
    const r = await h.load({ url: `${base}/flip` });
    await h.observe(r);
    await h.observe(r);
    healthy = false;
    try {
      await h.observe(r);
      await h.observe(r);
    } finally {
      healthy = true;
    }
    await h.observe(r);
    assert.deepEqual(
      h.events.map((e) => [e.type, e.reason]),
      [
        ['Warning', 'CheckFailed'],
        ['Normal', 'CheckPassed'],
      ],
    );
    assert.match(h.events[0].message, /GET http:\/\/127\.0\.0\.1:\d+\/flip: 503 in \d+ms/);
  });

  it('watch asks for a new check every interval', async () => {
    const h = harness();
    const spec: HttpCheckSpec = h.provider.schema.parse({ url: `${base}/`, interval: '100ms' });
    const seen: string[] = [];
    const w = h.provider.watch!([{ id: 'HttpCheck/default/x', spec }], (id) => seen.push(id), assert.fail);
    try {
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen.length >= 2, `two ticks, got ${seen.length}`);
    } finally {
      await w.dispose();
    }
  });

  it('refuses patterns RE2 cannot run, bad JSON paths and bad status ranges', () => {
    const schema = createHttpCheckProvider().schema;
    const url = 'http://127.0.0.1/';
    for (const expect of [{ body: '(a)\\1' }, { json: { path: '$..x', equals: 1 } }, { status: ['2xx'] }])
      assert.equal(schema.safeParse({ url, expect }).success, false, JSON.stringify(expect));
  });
});

describe('json path', () => {
  it('reads $.a.b[0], ["key"] and bare paths; says when a step is missing', () => {
    const data = { a: { b: [{ c: 1 }] }, 'x y': true };
    assert.deepEqual(readJsonPath(data, '$.a.b[0].c'), { found: true, value: 1 });
    assert.deepEqual(readJsonPath(data, '$["x y"]'), { found: true, value: true });
    assert.deepEqual(readJsonPath(data, 'a.b'), { found: true, value: [{ c: 1 }] });
    assert.deepEqual(readJsonPath(data, '$.a.z'), { found: false });
    assert.ok(parseJsonPath('$.a[').error);
  });
});
