/**
 * The SQLite store against a real database file in a temp folder: the
 * shared store contract (test/support/store-contract*.ts), then what is
 * SQLite's own (WAL, the salt across reopening). The audit chain has its own
 * file (../audit-chain.test.ts); migrations too (migrations.test.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import { storeContract } from '../../../test/support/store-contract.js';
import { storeContractMore } from '../../../test/support/store-contract-more.js';
import { fleetContract } from '../../../test/support/store-contract-fleet.js';
import { SqliteStore } from './index.js';

const opened: SqliteStore[] = [];
after(async () => {
  for (const s of opened) if (s.db.open) await s.close();
});

function openStore(path = join(tempDir(), 'state', 'state.db')): SqliteStore {
  const store = new SqliteStore(path);
  opened.push(store);
  return store;
}

const openPair = async (): Promise<[SqliteStore, SqliteStore]> => {
  const path = join(tempDir(), 'state.db');
  return [openStore(path), openStore(path)];
};
storeContract('SqliteStore', async () => openStore(), openPair);
storeContractMore('SqliteStore', async () => openStore(), openPair);
fleetContract('SqliteStore', async () => openStore());

describe('SqliteStore: opening', () => {
  it('creates the folder and the database in WAL mode', () => {
    const store = openStore(join(tempDir(), 'deep', 'er', 'state.db'));
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  });

  it('keeps one random salt per store, across reopening', async () => {
    const path = join(tempDir(), 'state.db');
    const a = openStore(path);
    const salt = await a.salt();
    assert.match(salt, /^[0-9a-f]{64}$/);
    assert.equal(await a.salt(), salt);
    await a.close();
    assert.equal(await openStore(path).salt(), salt);
    assert.notEqual(await openStore().salt(), salt);
  });
});
