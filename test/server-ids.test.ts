/**
 * A path-traversal id in an API URL (issue 11, #10): `..%2F` decoded into a
 * resource id is a bad request (400, naming the id), not a scope question
 * (it answered 403 "scoped to namespaces " with an empty list, even for an
 * unscoped admin token). In-process app over a real store and real tokens.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Setpoint } from '../src/api/index.js';
import { createApp, createContext } from '../src/server/index.js';
import { silentLogger } from '../src/telemetry/index.js';
import { tempDir, writeFiles } from './helpers.js';

describe('HTTP API: resource ids in URLs', () => {
  let sp: Setpoint;
  let app: ReturnType<typeof createApp>['app'];
  const tokens: Record<string, string> = {};
  before(async () => {
    const dir = tempDir('setpoint-ids-');
    writeFiles(dir, { 'setpoint.yaml': 'manifests: [m]\n', 'm/.keep': '' });
    sp = await Setpoint.open({ project: dir, logFile: false, state: join(dir, 'state.db') });
    tokens.admin = (await sp.createToken({ name: 'admin', role: 'admin' })).token;
    tokens.scoped = (await sp.createToken({ name: 'web', role: 'operator', namespaces: ['web'] })).token;
    ({ app } = createApp(createContext({ api: sp, logger: silentLogger() })));
  });
  after(() => sp.close());

  for (const [method, path] of [
    ['GET', '/api/v1/resources/File/..%2F..%2Fetc/passwd'],
    ['GET', '/api/v1/resources/File/web/..%2F..%2Fetc'],
    ['GET', '/api/v1/resources/..%2F..%2Fetc/web/x?live=true'],
    ['POST', '/api/v1/resources/File/..%2Fweb/x/resume'],
  ])
    it(`${method} ${path}: 400 naming the id, for an unscoped and a scoped token`, async () => {
      for (const who of ['admin', 'scoped']) {
        const r = await app.request(path, { method, headers: { authorization: `Bearer ${tokens[who]}` } });
        const body = (await r.json()) as { error: { code: string; message: string; hint?: string } };
        assert.equal(r.status, 400, `${who}: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, 'SETPOINT_BAD_REQUEST');
        assert.match(body.error.message, /^not a resource id: .*\.\.\//);
        assert.match(body.error.hint ?? '', /Kind\/namespace\/name/);
      }
    });

  it('a valid id outside a scoped token is still 403, and inside it 404 when absent', async () => {
    const get = (path: string) =>
      app.request(path, { headers: { authorization: `Bearer ${tokens.scoped}` } });
    assert.equal((await get('/api/v1/resources/File/db/x')).status, 403);
    assert.equal((await get('/api/v1/resources/File/web/x')).status, 404);
  });
});
