/**
 * The audit hash chain: pure chaining and verification, then the SQLite
 * store's chain tampered with through a separate better-sqlite3 connection
 * (an edited field, a deleted row, swapped rows, a truncated tail), where
 * verification must name the first bad entry.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '../../test/helpers.js';
import { chainEntries, GENESIS_HASH, hashAuditEntry, verifyChain } from './audit-chain.js';
import { SqliteStore } from './sqlite/index.js';
import type { AuditEntry, AuditInput } from './types.js';

const input = (i: number, over: Partial<AuditInput> = {}): AuditInput => ({
  time: `2024-05-01T10:00:${String(i).padStart(2, '0')}.000Z`,
  actor: i % 2 ? 'ada' : 'bob',
  action: i % 3 ? 'apply' : 'approve',
  resourceId: `File/default/r${i}`,
  revisionId: 'rev1',
  diffDigest: `sha256:${i}`,
  result: 'succeeded',
  detail: { n: i },
  ...over,
});

describe('chainEntries and verifyChain', () => {
  it('numbers entries from the last one and links each to the hash of the one before', () => {
    const first = chainEntries(0, GENESIS_HASH, [input(1), input(2)]);
    const next = chainEntries(2, first[1].hash, [input(3)]);
    const all = [...first, ...next];
    assert.deepEqual(
      all.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(all[0].prevHash, GENESIS_HASH);
    assert.equal(all[1].prevHash, all[0].hash);
    assert.equal(all[2].prevHash, all[1].hash);
    assert.ok(all.every((e) => /^[0-9a-f]{64}$/.test(e.hash)));
    assert.deepEqual(verifyChain(all, { seq: 3, hash: all[2].hash }), {
      ok: true,
      entries: 3,
      head: all[2].hash,
    });
  });

  it('hashes the sequence number, every field and the previous hash', () => {
    const base = hashAuditEntry(1, GENESIS_HASH, input(1));
    assert.equal(base, hashAuditEntry(1, GENESIS_HASH, input(1)));
    const variants: Array<[number, string, AuditInput]> = [
      [2, GENESIS_HASH, input(1)],
      [1, 'f'.repeat(64), input(1)],
      [1, GENESIS_HASH, input(1, { time: 'x' })],
      [1, GENESIS_HASH, input(1, { actor: 'eve' })],
      [1, GENESIS_HASH, input(1, { action: 'delete' })],
      [1, GENESIS_HASH, input(1, { resourceId: undefined })],
      [1, GENESIS_HASH, input(1, { revisionId: 'rev2' })],
      [1, GENESIS_HASH, input(1, { diffDigest: undefined })],
      [1, GENESIS_HASH, input(1, { result: 'failed' })],
      [1, GENESIS_HASH, input(1, { detail: { n: 2 } })],
    ];
    for (const [seq, prev, e] of variants)
      assert.notEqual(hashAuditEntry(seq, prev, e), base, JSON.stringify([seq, e]));
  });

  it('accepts an empty chain, and refuses an empty chain whose head says entries were written', () => {
    assert.deepEqual(verifyChain([]), { ok: true, entries: 0, head: GENESIS_HASH });
    const v = verifyChain([], { seq: 2, hash: 'abc' });
    assert.equal(v.ok, false);
    assert.equal(v.firstBad?.seq, 1);
  });

  it('names an entry out of place, one added after the head, and a replaced last entry', () => {
    const entries = chainEntries(
      0,
      GENESIS_HASH,
      [1, 2, 3].map((i) => input(i)),
    );
    assert.deepEqual(verifyChain([entries[0], entries[0], entries[1]]).firstBad, {
      seq: 2,
      problem: 'is out of place: entry 1 stands where entry 2 should',
    });
    assert.deepEqual(verifyChain(entries, { seq: 2, hash: entries[1].hash }).firstBad, {
      seq: 3,
      problem: 'was added after the recorded head (entry 2)',
    });
    const [other] = chainEntries(2, entries[1].hash, [input(9)]);
    assert.deepEqual(
      verifyChain([entries[0], entries[1], other], { seq: 3, hash: entries[2].hash }).firstBad,
      {
        seq: 3,
        problem: 'does not match the recorded head: the last entry was replaced',
      },
    );
  });

  it('names the first edited entry', () => {
    const entries = chainEntries(
      0,
      GENESIS_HASH,
      [1, 2, 3, 4].map((i) => input(i)),
    );
    const edited: AuditEntry[] = entries.map((e) => (e.seq === 3 ? { ...e, result: 'failed' } : e));
    assert.deepEqual(verifyChain(edited).firstBad, {
      seq: 3,
      problem: 'was edited: its content no longer matches its hash',
    });
  });
});

describe('the SQLite audit chain', () => {
  const opened: Array<{ close(): unknown }> = [];
  after(() => {
    for (const c of opened.reverse()) c.close();
  });

  /** A store with `n` entries appended in batches of 1, 2, 3..., and a second raw connection to its file. */
  async function chain(n: number) {
    const path = join(tempDir(), 'state.db');
    const store = new SqliteStore(path);
    opened.push(store.db);
    let appended = 0;
    for (let batch = 1; appended < n; batch++) {
      const size = Math.min(batch, n - appended);
      const entries = await store.appendAudit(
        Array.from({ length: size }, (_, i) => input(appended + i + 1)),
      );
      assert.deepEqual(
        entries.map((e) => e.seq),
        Array.from({ length: size }, (_, i) => appended + i + 1),
      );
      appended += size;
    }
    const raw = new Database(path);
    opened.push(raw);
    return { store, raw, path };
  }

  it('verifies an untouched chain appended in several batches', async () => {
    const { store } = await chain(10);
    const entries = await store.listAudit();
    const v = await store.verifyAudit();
    assert.deepEqual(v, { ok: true, entries: 10, head: entries[9].hash });
  });

  it('gives back entries as appended, filtered and newest-N limited, oldest first', async () => {
    const { store } = await chain(6);
    const all = await store.listAudit();
    assert.deepEqual(all[0], {
      ...input(1),
      seq: 1,
      prevHash: GENESIS_HASH,
      hash: hashAuditEntry(1, GENESIS_HASH, input(1)),
    });
    assert.deepEqual(
      (await store.listAudit({ actor: 'ada' })).map((e) => e.seq),
      [1, 3, 5],
    );
    assert.deepEqual(
      (await store.listAudit({ action: 'approve' })).map((e) => e.seq),
      [3, 6],
    );
    assert.deepEqual(
      (await store.listAudit({ resourceId: 'File/default/r4' })).map((e) => e.seq),
      [4],
    );
    assert.deepEqual(
      (await store.listAudit({ since: '2024-05-01T10:00:05.000Z' })).map((e) => e.seq),
      [5, 6],
    );
    assert.deepEqual(
      (await store.listAudit({ limit: 2 })).map((e) => e.seq),
      [5, 6],
    );
    // Paging forward: the next N after a sequence number, oldest first.
    assert.deepEqual(
      (await store.listAudit({ afterSeq: 2, limit: 3 })).map((e) => e.seq),
      [3, 4, 5],
    );
    assert.deepEqual(
      (await store.listAudit({ afterSeq: 1, actor: 'ada' })).map((e) => e.seq),
      [3, 5],
    );
    assert.deepEqual(await store.listAudit({ afterSeq: 6 }), []);
  });

  it('stores an entry without optional fields as such', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    opened.push(store.db);
    const [e] = await store.appendAudit([{ time: 't', actor: 'ada', action: 'login', result: 'ok' }]);
    const [back] = await store.listAudit();
    assert.deepEqual(
      [back.seq, back.time, back.actor, back.action, back.result, back.prevHash, back.hash],
      [1, 't', 'ada', 'login', 'ok', GENESIS_HASH, e.hash],
    );
    assert.deepEqual(
      [back.resourceId, back.revisionId, back.diffDigest, back.detail],
      [undefined, undefined, undefined, undefined],
    );
    assert.equal((await store.verifyAudit()).ok, true);
  });

  it('continues one chain across connections and reopening', async () => {
    const { store, path } = await chain(3);
    const other = new SqliteStore(path);
    opened.push(other.db);
    await other.appendAudit([input(4)]);
    await store.appendAudit([input(5)]);
    await other.close();
    const reopened = new SqliteStore(path);
    opened.push(reopened.db);
    await reopened.appendAudit([input(6), input(7)]);
    assert.deepEqual(await store.verifyAudit(), {
      ok: true,
      entries: 7,
      head: (await store.listAudit())[6].hash,
    });
  });

  it('names the entry whose field was edited', async () => {
    const { store, raw } = await chain(6);
    raw.prepare("UPDATE audit SET result = 'failed' WHERE seq = 4").run();
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.deepEqual(v.firstBad, { seq: 4, problem: 'was edited: its content no longer matches its hash' });
  });

  it('names the entry after one that was edited and given a recomputed hash', async () => {
    const { store, raw } = await chain(6);
    const row = raw.prepare('SELECT * FROM audit WHERE seq = 2').get() as Record<
      string,
      string | number | null
    >;
    const forged = { ...input(2), actor: 'eve' };
    raw
      .prepare('UPDATE audit SET actor = ?, hash = ? WHERE seq = 2')
      .run('eve', hashAuditEntry(2, row.prev_hash as string, forged));
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.equal(v.firstBad?.seq, 3);
    assert.match(v.firstBad?.problem ?? '', /^does not follow entry 2/);
  });

  it('names the first entry of a gap when a row in the middle is deleted', async () => {
    const { store, raw } = await chain(6);
    raw.prepare('DELETE FROM audit WHERE seq = 3').run();
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.deepEqual(v.firstBad, { seq: 3, problem: 'entries 3..3 were removed' });
  });

  it('names the first of two entries whose contents were swapped', async () => {
    const { store, raw } = await chain(6);
    const cols = [
      'time',
      'actor',
      'action',
      'resource_id',
      'revision_id',
      'diff_digest',
      'result',
      'detail',
      'prev_hash',
      'hash',
    ];
    const get = raw.prepare(`SELECT ${cols.join(', ')} FROM audit WHERE seq = ?`);
    const set = raw.prepare(`UPDATE audit SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`);
    const two = get.get(2) as Record<string, unknown>;
    const five = get.get(5) as Record<string, unknown>;
    raw.transaction(() => {
      set.run(...cols.map((c) => five[c]), 2);
      set.run(...cols.map((c) => two[c]), 5);
    })();
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.equal(v.firstBad?.seq, 2);
  });

  it('names the first of two entries whose fields were swapped but whose hashes were left in place', async () => {
    const { store, raw } = await chain(6);
    const actorOf = (seq: number) =>
      (raw.prepare('SELECT actor FROM audit WHERE seq = ?').get(seq) as { actor: string }).actor;
    const [three, four] = [actorOf(3), actorOf(4)];
    raw.transaction(() => {
      raw.prepare('UPDATE audit SET actor = ? WHERE seq = 3').run(four);
      raw.prepare('UPDATE audit SET actor = ? WHERE seq = 4').run(three);
    })();
    assert.deepEqual(
      (
        raw.prepare('SELECT actor FROM audit WHERE seq IN (3, 4) ORDER BY seq').all() as Array<{
          actor: string;
        }>
      ).map((r) => r.actor),
      ['bob', 'ada'],
    );
    assert.deepEqual((await store.verifyAudit()).firstBad, {
      seq: 3,
      problem: 'was edited: its content no longer matches its hash',
    });
  });

  it('catches a truncated tail through the recorded head', async () => {
    const { store, raw } = await chain(6);
    raw.prepare('DELETE FROM audit WHERE seq = 6').run();
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.equal(v.entries, 5);
    assert.deepEqual(v.firstBad, {
      seq: 6,
      problem: 'the log ends at entry 5 but 6 were written: entries were removed from the end',
    });
  });

  it('catches a log emptied of all its entries', async () => {
    const { store, raw } = await chain(3);
    raw.prepare('DELETE FROM audit').run();
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.equal(v.firstBad?.seq, 1);
  });

  it('keeps a truncated log detectable after new entries are appended', async () => {
    const { store, raw } = await chain(4);
    raw.prepare('DELETE FROM audit WHERE seq = 4').run();
    const [next] = await store.appendAudit([input(9)]);
    assert.equal(next.seq, 5, 'numbering goes on from the recorded head, not from the last row left');
    assert.deepEqual((await store.verifyAudit()).firstBad, { seq: 4, problem: 'entries 4..4 were removed' });
  });

  it('still serves queries after a verification that stopped early', async () => {
    const { store, raw } = await chain(5);
    raw.prepare("UPDATE audit SET actor = 'eve' WHERE seq = 1").run();
    assert.equal((await store.verifyAudit()).firstBad?.seq, 1);
    await store.appendAudit([input(6)]);
    assert.equal((await store.listAudit()).length, 6);
  });

  it('keeps the head in the meta table as the last seq and hash', async () => {
    const { store, raw } = await chain(3);
    const head = JSON.parse(
      (raw.prepare("SELECT value FROM meta WHERE key = 'audit_head'").get() as { value: string }).value,
    ) as { seq: number; hash: string };
    const entries = await store.listAudit();
    assert.deepEqual(head, { seq: 3, hash: entries[2].hash });
    // The hash is what verifyChain recomputes: sha256(prev + "\n" + body).
    const body = JSON.stringify([
      3,
      input(3).time,
      'ada',
      'approve',
      'File/default/r3',
      'rev1',
      'sha256:3',
      'succeeded',
      { n: 3 },
    ]);
    assert.equal(
      entries[2].hash,
      createHash('sha256').update(entries[1].hash).update('\n').update(body).digest('hex'),
    );
  });
});
