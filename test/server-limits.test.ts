/**
 * Hostile requests against a real `setpoint serve --listen` (issue 11 #3,
 * #10a and the same classes beyond): 300 MB chunked bodies are refused
 * (413, or 401 before the body is read) while serve's memory stays flat,
 * bodies over the in-flight budget are answered 503, a replayed webhook is
 * refused (409), headers sent too slowly are cut off, watch streams are
 * bounded per token, and JSON that is not an object or nested too deeply
 * is refused (400) with a clear error.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, it, type TestContext } from 'node:test';
import { project, type Project } from './serve-kit.js';
import {
  assertError,
  call,
  createToken,
  openSse,
  startApi,
  suiteOwner,
  until,
  type ApiServing,
  type SseReader,
} from './server-kit.js';
import { memoryOf, MiB, slowHeaders, streamUpload, type Streamed } from './server-stream-kit.js';

const SECRET = 'limits-webhook-secret';
const sign = (body: string) => 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
/** How far serve's peak memory may grow while it refuses a 300 MB body. */
const GROWTH_ALLOWED = 50 * MiB;
const HOSTILE_BYTES = 300 * MiB;

describe('HTTP API: hostile bodies, replays, slow clients', () => {
  let p: Project;
  let api: ApiServing;
  let operator: string;
  const owner = suiteOwner();

  before(async () => {
    p = project(
      {},
      [
        'server:',
        '  authFailures: { burst: 1000, perMinute: 1000 }',
        '  webhook:',
        '    secretRef: { env: SETPOINT_TEST_WEBHOOK_SECRET }',
        '',
      ].join('\n'),
    );
    operator = createToken(p, 'deployer', 'operator');
    api = await startApi(owner, p, [], { env: { SETPOINT_TEST_WEBHOOK_SECRET: SECRET } });
  });

  /** Streams a 300 MB body and checks serve's peak memory grew by less than GROWTH_ALLOWED. */
  async function hostileUpload(
    t: TestContext,
    path: string,
    headers: Record<string, string>,
  ): Promise<Streamed> {
    const pid = api.child.pid!;
    const before = memoryOf(pid);
    const r = await streamUpload(api.url, path, { headers, totalBytes: HOSTILE_BYTES });
    const after = memoryOf(pid);
    t.diagnostic(
      `sent ${(r.sent / MiB).toFixed(1)} MiB before the answer; peak memory +${((after.peak - before.peak) / MiB).toFixed(1)} MiB`,
    );
    assert.ok(
      after.peak - before.peak < GROWTH_ALLOWED,
      `serve's peak memory grew by ${((after.peak - before.peak) / MiB).toFixed(1)} MiB (rss ${(before.rss / MiB).toFixed(0)} -> ${(after.rss / MiB).toFixed(0)} MiB)`,
    );
    assert.ok(r.sent < HOSTILE_BYTES, `the client stopped early (sent ${r.sent} bytes)`);
    return r;
  }

  it('a 300 MB chunked webhook with a bad signature is refused (413) and serve stays small', async (t) => {
    const r = await hostileUpload(t, '/api/v1/webhooks/git', { 'x-hub-signature-256': sign('other') });
    assert.equal(r.status, 413, `${r.status} ${r.error ?? ''} ${r.body}`);
    assert.match(r.body, /SETPOINT_PAYLOAD_TOO_LARGE/);
    assert.equal(r.headers.connection, 'close');
  });

  it('a 300 MB webhook without a signature is refused (401) before its body is read', async (t) => {
    const r = await hostileUpload(t, '/api/v1/webhooks/git', {});
    assert.equal(r.status, 401, `${r.status} ${r.error ?? ''} ${r.body}`);
    assert.match(r.body, /not signed/);
  });

  it('a 300 MB chunked POST /plans with an operator token is refused (413) and serve stays small', async (t) => {
    const r = await hostileUpload(t, '/api/v1/plans', { authorization: `Bearer ${operator}` });
    assert.equal(r.status, 413, `${r.status} ${r.error ?? ''} ${r.body}`);
    assert.match(r.body, /SETPOINT_PAYLOAD_TOO_LARGE/);
  });

  it('a 300 MB chunked POST /plans without a token is refused (401) before its body is read', async (t) => {
    const r = await hostileUpload(t, '/api/v1/plans', {});
    assert.equal(r.status, 401, `${r.status} ${r.error ?? ''} ${r.body}`);
    assert.match(r.body, /SETPOINT_UNAUTHENTICATED/);
  });

  it('a declared Content-Length over the limit is refused (413) before any body byte is read', async () => {
    const r = await streamUpload(api.url, '/api/v1/plans', {
      headers: { authorization: `Bearer ${operator}` },
      contentLength: HOSTILE_BYTES,
      totalBytes: HOSTILE_BYTES,
    });
    assert.equal(r.status, 413, `${r.status} ${r.error ?? ''} ${r.body}`);
    assert.match(r.body, /declares 314572800 bytes/);
  });

  it('bodies that together exceed the in-flight budget are answered 503 with Retry-After', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const answers: Streamed[] = [];
    // 48 requests of 0.9 MB each (each under the 1 MiB limit) held open: 43 MB > the 32 MiB budget.
    const uploads = Array.from({ length: 48 }, () =>
      streamUpload(api.url, '/api/v1/plans', {
        headers: { authorization: `Bearer ${operator}` },
        totalBytes: 1 * MiB,
        holdAt: 0.9 * MiB,
        release: released,
        chunkBytes: 32 * 1024,
      }).then((a) => (answers.push(a), a)),
    );
    try {
      await until(
        async () => answers.some((a) => a.status === 503),
        'a 503 for the requests over the budget',
      );
    } finally {
      release();
    }
    const all = await Promise.all(uploads);
    const busy = all.filter((a) => a.status === 503);
    assert.ok(busy.length > 0);
    assert.match(busy[0].body, /SETPOINT_BUSY/);
    assert.ok(Number(busy[0].headers['retry-after']) >= 1, 'Retry-After in seconds');
    // The budget is given back: a normal request passes again.
    const ok = await call(api.url, '/api/v1/plans', { token: operator, body: {} });
    assert.equal(ok.status, 200, ok.text);
  });

  it('a replayed signed webhook is refused (409), also with a new delivery id', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID() });
    const delivery = randomUUID();
    const send = (headers: Record<string, string>) =>
      call(api.url, '/api/v1/webhooks/git', {
        body,
        headers: { 'x-hub-signature-256': sign(body), ...headers },
      });
    const first = await send({ 'x-github-delivery': delivery });
    assert.equal(first.status, 202, first.text);
    const again = assertError(
      await send({ 'x-github-delivery': delivery }),
      409,
      'SETPOINT_WEBHOOK_REPLAYED',
    );
    assert.match(again.error.message, new RegExp(delivery));
    // The delivery id is not signed: changing it does not make the same signed body new.
    assertError(await send({ 'x-github-delivery': randomUUID() }), 409, 'SETPOINT_WEBHOOK_REPLAYED');
    // A GitLab delivery is known by its event UUID.
    const uuid = randomUUID();
    const gitlab = (b: string) =>
      call(api.url, '/api/v1/webhooks/git', {
        body: b,
        headers: { 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': uuid },
      });
    assert.equal((await gitlab('{"n":1}')).status, 202);
    assertError(await gitlab('{"n":2}'), 409, 'SETPOINT_WEBHOOK_REPLAYED');
    await until(
      async () =>
        /"msg":"webhook replay refused"/.test(readFileSync(p.path('.setpoint', 'setpoint.log'), 'utf8')),
      'the replay in the log',
    );
  });

  it('headers sent too slowly are cut off (408) and the connection closed', async () => {
    // One byte every 500 ms: the server's 10 s headers timeout must end it well before 30 s of it.
    const r = await slowHeaders(api.url, 500, 60);
    assert.ok(r.cutOff, `the server still waited for the headers after ${r.bytesSent} slow bytes`);
    assert.match(r.answer, /^HTTP\/1\.1 408/);
  });

  it('watch streams are bounded per token (429)', async () => {
    const viewer = createToken(p, 'watcher', 'viewer');
    const streams: SseReader[] = [];
    try {
      for (let i = 0; i < 16; i++) streams.push(await openSse(api.url, '/api/v1/watch', viewer));
      const abort = new AbortController();
      const res = await fetch(api.url + '/api/v1/watch', {
        headers: { authorization: `Bearer ${viewer}` },
        signal: abort.signal,
      });
      if (res.status === 200) abort.abort(); // an unbounded stream: do not wait for its end
      assert.equal(res.status, 429, 'the 17th stream of one token is refused');
      const over = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(over.error.code, 'SETPOINT_TOO_MANY_WATCHES');
      assert.match(over.error.message, /16 watch streams/);
      assert.ok(res.headers.get('retry-after'));
      // Another token still may watch.
      streams.push(await openSse(api.url, '/api/v1/watch', operator));
    } finally {
      for (const s of streams) s.close();
    }
    // Closed streams are given back.
    await until(async () => {
      const s = await openSse(api.url, '/api/v1/watch', viewer).catch(() => undefined);
      s?.close();
      return s !== undefined;
    }, 'a watch slot freed');
  });

  it('JSON bodies that are not an object or are nested too deeply are refused (400)', async () => {
    for (const body of ['[]', '"plan"', 'null', '42']) {
      const r = assertError(
        await call(api.url, '/api/v1/plans', { token: operator, body }),
        400,
        'SETPOINT_BAD_REQUEST',
      );
      assert.match(r.error.message, /request body must be a JSON object/);
    }
    const deep = '{"targets":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    const r = assertError(
      await call(api.url, '/api/v1/plans', { token: operator, body: deep }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
    assert.match(r.error.message, /nested deeper than 64 levels/);
  });

  it('query numbers out of range are refused (400)', async () => {
    const viewer = createToken(p, 'reader', 'viewer');
    for (const q of ['/api/v1/events?limit=1e12', '/api/v1/events?after=1e400', '/api/v1/watch?after=99e99'])
      assertError(await call(api.url, q, { token: viewer }), 400, 'SETPOINT_BAD_REQUEST');
  });

  it('a path-traversal id in a URL is refused (400), for unscoped and scoped tokens alike (issue 11 #10)', async () => {
    const admin = createToken(p, 'root', 'admin');
    const scoped = createToken(p, 'web-admin', 'admin', ['web']);
    for (const token of [admin, scoped])
      for (const [method, path] of [
        ['GET', '/api/v1/resources/File/..%2F..%2Fetc/passwd'],
        ['GET', '/api/v1/resources/File/web/..%2Fsecret'],
        ['GET', '/api/v1/resources/file/web/motd'],
        ['POST', '/api/v1/resources/File/web/..%2F..%2Fx/resume'],
      ]) {
        const r = assertError(await call(api.url, path, { token, method }), 400, 'SETPOINT_BAD_REQUEST');
        assert.match(r.error.message, /^not a resource id: /, path);
      }
    assertError(
      await call(api.url, '/api/v1/resources/File/web/motd', { token: scoped }),
      404,
      'SETPOINT_NOT_FOUND',
    );
  });
});
