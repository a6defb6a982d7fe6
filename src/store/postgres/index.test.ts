/**
 * The PostgreSQL store against a real PostgreSQL 15 (one server for this
 * file, a fresh database per test): the shared store contract
 * (test/support/store-contract*.ts), then what is PostgreSQL's own: the
 * schema and migrations, fencing a stale term, the change counter, a
 * password never shown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresUnavailable, TestPostgres } from '../../../test/support/postgres.js';
import { record, storeContract } from '../../../test/support/store-contract.js';
import { storeContractMore } from '../../../test/support/store-contract-more.js';
import { fleetContract } from '../../../test/support/store-contract-fleet.js';
import { pruneContract } from '../../../test/support/store-prune-contract.js';
import { MIGRATIONS } from '../migrations.js';
import { LockLostError } from '../fence.js';
import type { Lease } from '../types.js';
import type { NodeRecord } from '../nodes.js';
import { PostgresStore } from './index.js';
import { PgLeases } from './leases.js';
import { migratePostgres } from './migrate.js';
import { PgPool } from './pool.js';
import { PgWrites } from './writes.js';
import { redactUrl } from './url.js';

const skip = postgresUnavailable;

const fleetNode: NodeRecord = {
  name: 'web1',
  labels: {},
  facts: {},
  tokenHash: 'a'.repeat(64),
  enrolledAt: '2026-01-01T00:00:00.000Z',
  counts: { total: 0, inSync: 0, drifted: 0, failed: 0 },
  resources: [],
  batches: 0,
  droppedBatches: 0,
};
let server: TestPostgres | undefined;
const opened: PostgresStore[] = [];
before(async () => {
  if (!skip) server = await TestPostgres.start();
});
after(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  await server?.stop();
});

async function fresh(): Promise<string> {
  return server!.createDatabase();
}

async function openStore(url?: string): Promise<PostgresStore> {
  const store = await PostgresStore.open(url ?? (await fresh()));
  opened.push(store);
  return store;
}

if (skip) {
  describe('PostgresStore', () => {
    it('runs against a real PostgreSQL 15', { skip }, () => undefined);
  });
} else {
  const openPair = async (): Promise<[PostgresStore, PostgresStore]> => {
    const url = await fresh();
    return [await openStore(url), await openStore(url)];
  };
  storeContract('PostgresStore', () => openStore(), openPair);
  storeContractMore('PostgresStore', () => openStore(), openPair);
  fleetContract('PostgresStore', () => openStore());
  pruneContract('PostgresStore', () => openStore());

  describe('PostgresStore: schema', () => {
    it('applies every migration once, in order, and twice opening changes nothing', async () => {
      const url = await fresh();
      await openStore(url);
      await openStore(url);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      await client.end();
      assert.deepEqual(
        rows.map((r) => r.version),
        MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
      );
    });

    it('keeps one random salt per state, shared by every handle', async () => {
      const url = await fresh();
      const salt = await (await openStore(url)).salt();
      assert.match(salt, /^[0-9a-f]{64}$/);
      assert.equal(await (await openStore(url)).salt(), salt);
      assert.notEqual(await (await openStore()).salt(), salt);
    });
  });

  describe('PostgresStore: a stale term', () => {
    it('refuses a write from a stale term atomically, and tells the fence once', async () => {
      const url = await fresh();
      const [a, b] = [await openStore(url), await openStore(url)];
      const lease = (await a.acquireLease('state', 'a', 40))!;
      const lost: Error[] = [];
      a.setFence({ lease: 'state', holder: 'a', term: lease.term, ttlMs: 40, onLost: (e) => lost.push(e) });
      await a.putResources([record('File/default/one')]);
      // a pauses past its lease; b takes over with the next term.
      await new Promise((r) => setTimeout(r, 60));
      const taken = (await b.acquireLease('state', 'b', 60_000))!;
      assert.equal(taken.term, lease.term + 1);
      await assert.rejects(a.putResources([record('File/default/two')]), LockLostError);
      await assert.rejects(
        a.commit({ audits: [{ time: 't', actor: 'a', action: 'x', result: 'ok' }] }),
        LockLostError,
      );
      await assert.rejects(a.assertCanAct(), LockLostError);
      assert.equal(lost.length, 1);
      assert.deepEqual(
        (await b.listResources()).map((r) => r.id),
        ['File/default/one'],
      );
      assert.deepEqual(await b.listAudit(), []);
    });

    it('takes over an expired lease at once while its frozen holder still has a transaction open', async () => {
      const url = await fresh();
      // The old holder's handle, built from its parts so a write can be held open inside its transaction.
      const db = new PgPool(url);
      const leases = new PgLeases(db);
      const writes = new PgWrites(db, leases);
      const b = await openStore(url);
      try {
        const lease = (await leases.acquire('state', 'a', 60_000))!;
        leases.setFence({ lease: 'state', holder: 'a', term: lease.term, ttlMs: 60_000 });
        let inside!: () => void;
        const entered = new Promise<void>((r) => (inside = r));
        // Frozen inside a fenced write: busy on the server (not idle), so no idle bound ends it.
        const frozen = writes.write(async (c) => {
          inside();
          await c.query('SELECT pg_sleep(25)');
        });
        await entered;
        // Its lease runs out (as if the holder missed its renewals while frozen).
        await b.db.query("UPDATE leases SET expires_at = 0 + 1 WHERE name = 'state'");
        // Without ending the old tenure's transaction this waits for pg_sleep (25 s, past the test's patience).
        const taken = await Promise.race([
          b.acquireLease('state', 'b', 60_000),
          frozen.then(
            () => 'the frozen write finished first',
            () => 'the frozen write failed first',
          ),
        ]);
        assert.equal(typeof taken, 'object', JSON.stringify(taken));
        assert.equal((taken as Lease).term, lease.term + 1);
        // Resumed, its write is retried on a new connection and refused by the fence.
        await assert.rejects(frozen, LockLostError);
      } finally {
        await db.close();
      }
    });

    it("renews a lease without waiting for the holder's own writes in flight", async () => {
      const db = new PgPool(await fresh());
      await migratePostgres(db);
      const leases = new PgLeases(db);
      const writes = new PgWrites(db, leases);
      try {
        const lease = (await leases.acquire('state', 'a', 60_000))!;
        leases.setFence({ lease: 'state', holder: 'a', term: lease.term, ttlMs: 60_000 });
        let inside!: () => void;
        const entered = new Promise<void>((r) => (inside = r));
        let finish!: () => void;
        const held = new Promise<void>((r) => (finish = r));
        const order: string[] = [];
        // A write that stays open (its transaction idle, the lease row locked by its fence check)...
        const write = writes.write(async () => {
          inside();
          await held;
        });
        await entered;
        // ...until the renewal is done: a renewal that waited for it would never finish.
        const renewed = leases.renew('state', 'a', lease.term, 60_000).then((ok) => {
          order.push('renewed');
          finish();
          return ok;
        });
        await write.then(() => order.push('write committed'));
        assert.equal(await renewed, true);
        assert.deepEqual(order, ['renewed', 'write committed']);
      } finally {
        await db.close();
      }
    });

    it("keeps nothing of a node's report batch written from a stale term; the current holder takes it", async () => {
      const url = await fresh();
      const [a, b] = [await openStore(url), await openStore(url)];
      const lease = (await a.acquireLease('state', 'a', 60_000))!;
      a.setFence({ lease: 'state', holder: 'a', term: lease.term, ttlMs: 60_000, onLost: () => undefined });
      await a.putNode(fleetNode);
      // b takes the lease from a (known dead): a's next write is from a stale term.
      const taken = (await b.acquireLease('state', 'b', 60_000, { holder: 'a', term: lease.term }))!;
      assert.equal(taken.term, lease.term + 1);
      const at = '2026-01-01T00:00:00.000Z';
      const writes = {
        events: [{ time: at, type: 'Normal' as const, reason: 'Applied', message: 'm', runId: 'node:web1' }],
        audits: [{ time: at, actor: 'node:web1', action: 'apply', result: 'ok' }],
        episodes: [{ resourceId: 'File/default/motd@web1', kind: 'content', detectedAt: at, recordedAt: at }],
        update: (n: NodeRecord) => ({ ...n, batches: n.batches + 1 }),
      };
      await assert.rejects(a.applyNodeBatch('web1', 'b1', at, writes), LockLostError);
      assert.deepEqual(await b.listEvents({ runId: 'node:web1' }), []);
      assert.deepEqual(await b.listAudit(), []);
      assert.deepEqual(await b.listEpisodes(), []);
      assert.equal((await b.getNode('web1'))?.batches, 0);
      assert.equal(await b.applyNodeBatch('web1', 'b1', at, writes), 'applied');
      assert.equal(await b.applyNodeBatch('web1', 'b1', at, writes), 'duplicate');
      assert.equal((await b.listAudit()).length, 1);
      assert.equal((await b.getNode('web1'))?.batches, 1);
    });

    it('lets the holder of the current term write and act', async () => {
      const store = await openStore();
      const lease = (await store.acquireLease('state', 'a', 60_000))!;
      store.setFence({ lease: 'state', holder: 'a', term: lease.term, ttlMs: 60_000 });
      await store.assertCanAct();
      await store.putResources([record('File/default/one')]);
      assert.equal((await store.listResources()).length, 1);
    });
  });

  describe('PostgresStore: change counter', () => {
    it('moves when another handle commits, and stands still otherwise', async () => {
      const url = await fresh();
      const [a, b] = [await openStore(url), await openStore(url)];
      const first = await a.changeCounter();
      assert.equal(await a.changeCounter(), first);
      await b.putResources([record('File/default/one')]);
      assert.notEqual(await a.changeCounter(), first);
    });

    it('stores a batch of intents, and an outcome batch lands record, event, audit entry and intent removal together', async () => {
      const url = await fresh();
      const [a, b] = [await openStore(url), await openStore(url)];
      const first = await a.changeCounter();
      const intent = {
        resourceId: 'File/default/one',
        holder: 'h:1 serve',
        action: 'serve.create',
        actor: 'ada',
        diffDigest: 'd',
        startedAt: 't',
      };
      await b.commit({ intents: [intent] });
      assert.deepEqual(
        (await a.listIntents()).map((i) => i.resourceId),
        ['File/default/one'],
      );
      // The outcome removes it with the record, event and audit entry: one transaction, and the counter moves.
      const [entry] = await b.commit({
        records: [record('File/default/one')],
        events: [
          {
            time: 't',
            type: 'Normal',
            reason: 'Created',
            message: 'created',
            resourceId: 'File/default/one',
          },
        ],
        audits: [
          { time: 't', actor: 'ada', action: 'serve.create', resourceId: 'File/default/one', result: 'ok' },
        ],
        intentsDone: [intent],
      });
      assert.notEqual(await a.changeCounter(), first);
      assert.deepEqual(await a.listIntents(), []);
      assert.equal((await a.getResource('File/default/one'))?.id, 'File/default/one');
      assert.equal((await a.listEvents({ resourceId: 'File/default/one' })).length, 1);
      assert.equal(entry.seq, 1);
      assert.equal((await a.verifyAudit()).ok, true);
    });
  });

  describe('PostgresStore: location', () => {
    it('shows its URL without the password', async () => {
      assert.equal(
        redactUrl('postgres://app:s3cret@db.example:5432/setpoint'),
        'postgres://app@db.example:5432/setpoint',
      );
      assert.equal(
        redactUrl('postgresql://db.example/setpoint?password=s3cret&sslmode=require'),
        'postgresql://db.example/setpoint?password=redacted&sslmode=require',
      );
      const store = await openStore();
      assert.doesNotMatch(store.location, /:[^/@]*@/);
    });
  });

  describe('PostgresStore: the audit chain', () => {
    const input = (i: number) => ({
      time: `2024-05-01T10:00:${String(i).padStart(2, '0')}.000Z`,
      actor: i % 2 ? 'ada' : 'bob',
      action: 'apply',
      resourceId: `File/default/r${i}`,
      result: 'succeeded',
      detail: { n: i },
    });

    /** A store with entries 1..n (over two handles), and a raw connection to tamper with it. */
    async function chain(n: number) {
      const url = await fresh();
      const [a, b] = [await openStore(url), await openStore(url)];
      for (let i = 1; i <= n; i++) await (i % 2 ? a : b).appendAudit([input(i)]);
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      return { store: a, raw };
    }

    it('continues one chain across handles, and verifies it', async () => {
      const { store, raw } = await chain(6);
      await raw.end();
      const v = await store.verifyAudit();
      assert.equal(v.ok, true);
      assert.equal(v.entries, 6);
      assert.deepEqual(
        (await store.listAudit()).map((e) => e.seq),
        [1, 2, 3, 4, 5, 6],
      );
    });

    it('names an edited entry, a deleted one and a truncated tail', async () => {
      const edited = await chain(5);
      await edited.raw.query("UPDATE audit SET result = 'failed' WHERE seq = 3");
      await edited.raw.end();
      assert.deepEqual((await edited.store.verifyAudit()).firstBad, {
        seq: 3,
        problem: 'was edited: its content no longer matches its hash',
      });

      const gap = await chain(5);
      await gap.raw.query('DELETE FROM audit WHERE seq = 2');
      await gap.raw.end();
      assert.deepEqual((await gap.store.verifyAudit()).firstBad, {
        seq: 2,
        problem: 'entries 2..2 were removed',
      });

      const tail = await chain(5);
      await tail.raw.query('DELETE FROM audit WHERE seq >= 4');
      await tail.raw.end();
      const v = await tail.store.verifyAudit();
      assert.equal(v.ok, false);
      assert.equal(v.firstBad?.seq, 4);
      // The next entry continues after the recorded head, not after the truncated tail.
      const [next] = await tail.store.appendAudit([input(6)]);
      assert.equal(next.seq, 6);
    });
  });
}
