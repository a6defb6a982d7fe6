/** openStore: a file path opens SQLite; a postgres:// URL is refused until that store exists. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { openStore } from './open.js';
import { SqliteStore } from './sqlite/index.js';

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

  it('refuses PostgreSQL URLs with a clear message', async () => {
    await assert.rejects(
      openStore('postgres://localhost/setpoint'),
      /PostgreSQL stores are not available yet/,
    );
    await assert.rejects(
      openStore('postgresql://localhost/setpoint'),
      /PostgreSQL stores are not available yet/,
    );
  });
});
