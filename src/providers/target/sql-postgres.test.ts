/** Reading a measure from a real PostgreSQL: one server for this file, a database per test. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { tempDir } from '../../../test/helpers.js';
import { postgresUnavailable, TestPostgres } from '../../../test/support/postgres.js';
import { readMeasure } from './read.js';
import { MeasureSchema } from './spec.js';
import { goalCtx } from './testkit.js';

let server: TestPostgres;
before(async () => {
  if (!postgresUnavailable) server = await TestPostgres.start();
});
after(async () => {
  await server?.stop();
});

describe('PostgreSQL measure', { skip: postgresUnavailable }, () => {
  it('reads the first column of the first row in a read-only transaction, with the password from a secretRef', async () => {
    const url = await server.createDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('create table orders (amount int); insert into orders values (120), (80), (300)');
    await admin.query("create role reader login password 'pw'; grant select on orders to reader");
    await admin.end();
    const readerUrl = url.replace('postgres://postgres@', 'postgres://reader@');
    const { ctx } = goalCtx('Target', 'revenue', {}, tempDir(), { DB_PASSWORD: 'pw' });
    const read = (query: string) =>
      readMeasure(
        MeasureSchema.parse({
          sql: { database: readerUrl, query, password: { secretRef: { env: 'DB_PASSWORD' } } },
        }),
        ctx,
        'spec.measure',
      );
    assert.equal(
      await read('select sum(amount) from orders'),
      500,
      'a bigint arrives as a string and still counts',
    );
    await assert.rejects(read('delete from orders returning amount'), (err: Error & { field?: string }) => {
      assert.match(err.message, /read-only transaction/);
      assert.equal(err.field, 'spec.measure.sql');
      return true;
    });
    await assert.rejects(
      read('select amount from orders where amount > 1000'),
      /gave undefined|not a number/,
    );
  });
});
