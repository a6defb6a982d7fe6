/** Reading measures from real sources: a command, a SQLite file, an HTTP JSON endpoint and a Prometheus-like API. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '../../../test/helpers.js';
import { readMeasure } from './read.js';
import { MeasureSchema } from './spec.js';
import { goalCtx } from './testkit.js';

const dir = tempDir();
const { ctx } = goalCtx('Target', 't', {}, dir, { TOKEN: 's3cret' });
const read = (measure: unknown) => readMeasure(MeasureSchema.parse(measure), ctx, 'spec.measure');

describe('command measure', () => {
  it('reads the last line of standard output as the number', async () => {
    assert.equal(await read({ command: { run: 'echo starting; echo 42.5' } }), 42.5);
  });
  it('names the field when the command fails or prints no number', async () => {
    await assert.rejects(
      read({ command: { run: ['sh', '-c', 'echo boom >&2; exit 3'] } }),
      (err: Error & { field?: string }) => {
        assert.match(err.message, /exited 3: boom/);
        assert.equal(err.field, 'spec.measure.command.run');
        return true;
      },
    );
    await assert.rejects(read({ command: { run: 'echo many' } }), /gave "many", not a number/);
  });
});

describe('SQLite measure', () => {
  it('reads the first column of the first row from a file relative to the manifest, read-only', async () => {
    const db = new Database(join(dir, 'kpi.db'));
    db.exec("create table signups (day text); insert into signups values ('mon'), ('tue'), ('wed')");
    db.close();
    assert.equal(await read({ sql: { database: 'kpi.db', query: 'select count(*) from signups' } }), 3);
    await assert.rejects(
      read({ sql: { database: 'kpi.db', query: 'delete from signups' } }),
      (err: Error & { field?: string }) =>
        err.field === 'spec.measure.sql' && /return data|readonly/i.test(err.message),
    );
    await assert.rejects(
      read({ sql: { database: 'missing.db', query: 'select 1' } }),
      /the SQL query failed/,
    );
  });
});

describe('HTTP measures', () => {
  let server: Server;
  let base = '';
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      const url = new URL(req.url ?? '/', 'http://x');
      const q = url.searchParams.get('query');
      const send = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/stats') return send({ data: { items: [{ p95: '240' }] } });
      if (url.pathname === '/api/v1/query' && q === 'up')
        return send({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.997'] }] },
        });
      if (url.pathname === '/api/v1/query' && q === 'scalar(1)')
        return send({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } });
      if (url.pathname === '/api/v1/query' && q === 'nothing')
        return send({ status: 'success', data: { resultType: 'vector', result: [] } });
      res.writeHead(500).end('broken');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('follows a dotted JSON path and sends headers, resolving secretRefs', async () => {
    const value = await read({
      http: {
        url: `${base}/stats`,
        path: 'data.items.0.p95',
        headers: { authorization: { secretRef: { env: 'TOKEN' } } },
      },
    });
    assert.equal(value, 240);
    assert.equal(seen.at(-1)?.authorization, 's3cret');
    await assert.rejects(
      read({ http: { url: `${base}/stats`, path: 'data.nope' } }),
      /nothing at data\.nope/,
    );
    await assert.rejects(read({ http: { url: `${base}/down` } }), /HTTP 500/);
  });
  it('reads a Prometheus instant vector of one series or a scalar, and refuses an empty answer', async () => {
    assert.equal(await read({ prometheus: { url: base, query: 'up' } }), 0.997);
    assert.equal(await read({ prometheus: { url: `${base}/`, query: 'scalar(1)' } }), 1);
    await assert.rejects(read({ prometheus: { url: base, query: 'nothing' } }), /gave 0 series, not one/);
  });
  it('refuses a measure naming two sources', () => {
    assert.throws(
      () => MeasureSchema.parse({ http: { url: base }, command: { run: 'echo 1' } }),
      /exactly one of/,
    );
  });
});
