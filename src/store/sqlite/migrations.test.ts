/**
 * Schema migrations: numbered, applied once each in version order, recorded in schema_migrations (and user_version);
 * reopening an existing database keeps its data and version.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '../../../test/helpers.js';
import { MIGRATIONS } from '../migrations.js';
import { SqliteStore } from './index.js';

const latest = Math.max(...MIGRATIONS.map((m) => m.version));

describe('migrations', () => {
  it('are numbered 1, 2, 3... without gaps or repeats (in any order in the list)', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
      MIGRATIONS.map((_, i) => i + 1),
    );
  });

  it('are applied in version order and recorded one by one', () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const applied = (
      store.db.prepare('SELECT version FROM schema_migrations ORDER BY rowid').all() as Array<{
        version: number;
      }>
    ).map((r) => r.version);
    assert.deepEqual(
      applied,
      [...MIGRATIONS.map((m) => m.version)].sort((a, b) => a - b),
    );
  });

  it('bring a new database to the latest version with every table', async () => {
    const path = join(tempDir(), 'state.db');
    const store = new SqliteStore(path);
    assert.equal(store.db.pragma('user_version', { simple: true }), latest);
    const tables = (
      store.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as Array<{ name: string }>
    ).map((r) => r.name);
    for (const t of ['audit', 'events', 'leases', 'meta', 'resources', 'revisions', 'runs'])
      assert.ok(tables.includes(t), `no table ${t}`);
    await store.close();
  });

  it('run once: opening an existing database twice keeps its data and its version', async () => {
    const path = join(tempDir(), 'state.db');
    const first = new SqliteStore(path);
    const salt = await first.salt();
    await first.appendEvents([{ time: 't', type: 'Normal', reason: 'Created', message: 'hello' }]);
    await first.appendAudit([{ time: 't', actor: 'ada', action: 'apply', result: 'ok' }]);
    await first.close();
    for (let i = 0; i < 2; i++) {
      const again = new SqliteStore(path);
      assert.equal(again.db.pragma('user_version', { simple: true }), latest);
      assert.equal(await again.salt(), salt);
      assert.deepEqual(
        (await again.listEvents()).map((e) => e.message),
        ['hello'],
      );
      assert.equal((await again.verifyAudit()).entries, 1);
      await again.close();
    }
  });

  it('bring a database at version 1 forward to the latest, keeping its data and without running 1 again', async () => {
    const path = join(tempDir(), 'state.db');
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0].sqlite);
    raw.pragma('user_version = 1');
    raw.prepare("INSERT INTO meta (key, value) VALUES ('salt', 'old-salt')").run();
    raw.close();
    // Running migration 1 again would fail: its tables exist.
    const store = new SqliteStore(path);
    assert.equal(store.db.pragma('user_version', { simple: true }), latest);
    assert.equal(await store.salt(), 'old-salt');
    await store.close();
  });

  it('open a database read-only without migrating, and refuse writes', async () => {
    const path = join(tempDir(), 'state.db');
    const writer = new SqliteStore(path);
    await writer.appendEvents([{ time: 't', type: 'Normal', reason: 'R', message: 'm' }]);
    await writer.close();
    const reader = new SqliteStore(path, { readonly: true });
    assert.equal((await reader.listEvents()).length, 1);
    await assert.rejects(
      reader.appendEvents([{ time: 't', type: 'Normal', reason: 'R', message: 'm2' }]),
      /readonly/,
    );
    await reader.close();
  });
});
