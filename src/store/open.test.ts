/** openStore: a file path opens SQLite; a postgres:// URL opens PostgreSQL (a real server started here). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { openStore } from './open.js';
import { SqliteStore } from './sqlite/index.js';
import { PostgresStore } from './postgres/index.js';
import { postgresUnavailable, TestPostgres } from '../../test/support/postgres.js';
import type { SetpointError } from '../errors.js';

describe('openStore', () => {
  it('opens a SQLite store at a file path', async () => {
    const store = await openStore(join(tempDir(), '.setpoint', 'state.db'));
    assert.ok(store instanceof SqliteStore);
    await store.putRun({
      id: 'r',
      command: 'plan',
      actor: 'ada',
      startedAt: 't',
      result: 'succeeded',
      summary: {},
    });
    assert.equal((await store.listRuns()).length, 1);
    await store.close();
  });

  it(
    'opens a PostgreSQL store at a postgres:// or postgresql:// URL',
    { skip: postgresUnavailable },
    async () => {
      const server = await TestPostgres.start();
      try {
        for (const url of [
          await server.createDatabase(),
          (await server.createDatabase()).replace('postgres://', 'postgresql://'),
        ]) {
          const store = await openStore(url);
          assert.ok(store instanceof PostgresStore);
          await store.putRun({
            id: 'r',
            command: 'plan',
            actor: 'ada',
            startedAt: 't',
            result: 'succeeded',
            summary: {},
          });
          assert.equal((await store.listRuns()).length, 1);
          await store.close();
        }
      } finally {
        await server.stop();
      }
    },
  );

  it('names an unreachable PostgreSQL server, never the password', async () => {
    const err = await PostgresStore.open('postgres://app:s3cret@127.0.0.1:1/setpoint', {
      unavailableAfterMs: 200,
    }).then(
      () => assert.fail('opened'),
      (e: unknown) => e as SetpointError,
    );
    assert.equal(err.code, 'SETPOINT_STATE_UNAVAILABLE');
    assert.match(
      err.message,
      /state store postgres:\/\/app@127\.0\.0\.1:1\/setpoint: cannot reach the PostgreSQL server 127\.0\.0\.1:1/,
    );
    assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /s3cret/);
  });
});
