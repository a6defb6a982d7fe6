/**
 * The report collector's cursor: kept in the agent's store (so a report
 * costs no renamed file), read back by a new collector after a restart, and
 * moved there once from an older agent's cursor file. A batch collected
 * again before its commit keeps its id (the server takes it once).
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { CURSOR_KEY, ReportCollector } from './collector.js';

const opened: SqliteStore[] = [];
after(async () => {
  for (const s of opened) if (s.db.open) await s.close();
});

function openStore(path: string): SqliteStore {
  const store = new SqliteStore(path);
  opened.push(store);
  return store;
}

const event = (message: string) => ({
  time: new Date().toISOString(),
  type: 'Normal' as const,
  reason: 'Applied',
  message,
});

const collector = (store: SqliteStore, oldCursorFile?: string) =>
  new ReportCollector({ store, oldCursorFile, agentVersion: 'test', node: 'web1' });

describe('ReportCollector: the cursor', () => {
  it('keeps the cursor in the store: a restarted collector sends only what is new', async () => {
    const dir = tempDir();
    const store = openStore(join(dir, 'state.db'));
    await store.appendEvents([event('one'), event('two')]);
    const first = await collector(store).collect({});
    assert.deepEqual(
      first?.batch.events.map((e) => e.message),
      ['one', 'two'],
    );
    // Collected again before the commit (a crash in between): the same batch id.
    const again = await collector(store).collect({});
    assert.equal(again?.batch.id, first?.batch.id);
    await first.commit();
    assert.match((await store.getMeta(CURSOR_KEY))!, /"events":2/);
    await store.close();

    const reopened = openStore(join(dir, 'state.db'));
    const restarted = collector(reopened);
    assert.equal(await restarted.collect({}), undefined);
    await reopened.appendEvents([event('three')]);
    const next = await restarted.collect({});
    assert.deepEqual(
      next?.batch.events.map((e) => e.message),
      ['three'],
    );
  });

  it("moves an older agent's cursor file into the store once, then removes the file", async () => {
    const dir = tempDir();
    const store = openStore(join(dir, 'state.db'));
    await store.appendEvents([event('one'), event('two'), event('three')]);
    const file = join(dir, 'report-cursor.json');
    writeFileSync(file, JSON.stringify({ events: 2, audit: 0, episodes: [] }));
    const got = await collector(store, file).collect({});
    assert.deepEqual(
      got?.batch.events.map((e) => e.message),
      ['three'],
    );
    assert.equal(existsSync(file), false);
    assert.equal(await store.getMeta(CURSOR_KEY), JSON.stringify({ events: 2, audit: 0, episodes: [] }));
  });
});
