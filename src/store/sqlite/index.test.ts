/**
 * The SQLite store against a real database file in a temp folder: the
 * shared store contract (test/support/store-contract*.ts), then what is
 * SQLite's own (WAL, the salt across reopening). The audit chain has its own
 * file (../audit-chain.test.ts); migrations too (migrations.test.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir, waitFor } from '../../../test/helpers.js';
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

describe('SqliteStore: the audit anchor', () => {
  it('follows audit writes off the event loop, keeps an export recorded during a write, and close writes the last head', async () => {
    const path = join(tempDir(), 'state', 'state.db');
    const store = openStore(path);
    const anchorFile = join(dirname(path), 'audit-head');
    const anchor = () => {
      try {
        return JSON.parse(readFileSync(anchorFile, 'utf8')) as {
          head?: { seq: number };
          exported?: { seq: number; file?: string };
        };
      } catch {
        return undefined;
      }
    };
    const audit = (action: string) =>
      store.appendAudit([{ time: new Date().toISOString(), actor: 'test', action, result: 'ok' }]);
    await audit('one');
    await waitFor(() => anchor()?.head?.seq === 1, 'the anchor to follow the first entry');
    const [second] = await audit('two');
    // Recorded while the second head's write may be in flight: neither overwrites the other.
    await store.recordAuditExport({ seq: second.seq, hash: second.hash }, '/backups/audit.jsonl');
    await waitFor(() => anchor()?.head?.seq === 2, 'the anchor to follow the second entry');
    assert.deepEqual(
      [anchor()?.exported?.seq, anchor()?.exported?.file],
      [2, '/backups/audit.jsonl'],
      'the export is kept',
    );
    await audit('three');
    await store.close();
    assert.equal(anchor()?.head?.seq, 3, 'close writes the last head');
    assert.equal(anchor()?.exported?.seq, 2);
    assert.deepEqual(
      readdirSync(dirname(path)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file is left',
    );
  });
});

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
