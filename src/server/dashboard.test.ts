import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { DASHBOARD_CSP, mountDashboard } from './dashboard.js';

const dir = mkdtempSync(join(tmpdir(), 'setpoint-dashboard-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'assets'));
const INDEX = '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;
writeFileSync(join(dir, 'index.html'), INDEX);
writeFileSync(join(dir, 'assets', 'index-abc123.js'), SCRIPT);
writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

function app(from: string | undefined): Hono {
  const a = new Hono();
  a.get('/api/v1/info', (c) => c.json({ ok: true }));
  mountDashboard(a, from);
  a.notFound((c) => c.json({ error: { code: 'SETPOINT_NOT_FOUND' } }, 404));
  return a;
}

describe('the dashboard files', () => {
  const a = app(dir);

  it('answers / and the app paths with index.html, revalidated every time, under a strict CSP', async () => {
    for (const path of ['/', '/oncall', '/executive', '/r/File/web/motd']) {
      const res = await a.request(path);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), INDEX);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('content-security-policy'), DASHBOARD_CSP);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    }
    assert.doesNotMatch(
      DASHBOARD_CSP,
      /unsafe-inline|unsafe-eval|https?:|\*/,
      'no inline code, no other origins',
    );
    assert.match(DASHBOARD_CSP, /script-src 'self'/);
  });

  it('serves hashed assets as immutable for a year, gzipped when the client accepts it', async () => {
    const plain = await a.request('/assets/index-abc123.js');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(plain.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(await plain.text(), SCRIPT);
    const zipped = await a.request('/assets/index-abc123.js', { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    const bytes = Buffer.from(await zipped.arrayBuffer());
    assert.ok(bytes.length < SCRIPT.length);
    assert.equal(gunzipSync(bytes).toString(), SCRIPT);
    const icon = await a.request('/favicon.svg');
    assert.equal(icon.headers.get('cache-control'), 'no-cache', 'unhashed files are revalidated');
  });

  it('leaves the API and unknown files alone', async () => {
    assert.deepEqual(await (await a.request('/api/v1/info')).json(), { ok: true });
    assert.equal((await a.request('/assets/missing-1.js')).status, 404);
    assert.equal((await a.request('/metrics-not-here')).status, 404);
    assert.equal((await a.request('/', { method: 'POST' })).status, 404);
  });

  it('says how to build it when it was not built', async () => {
    const res = await app(join(dir, 'nowhere')).request('/');
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { message: string; hint: string } };
    assert.match(body.error.message, /dashboard is not built/);
    assert.match(body.error.hint, /npm run build/);
  });
});
