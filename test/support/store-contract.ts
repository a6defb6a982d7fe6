/**
 * The store contract, one suite for every store: resources and their
 * filters, summaries, events, revisions, runs and leases with terms. Each
 * store's test file calls `storeContract` with a way to open a fresh, empty
 * store (and two handles on one state), so SQLite and PostgreSQL answer the
 * same questions the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  statusSignature,
  type ApprovalRecord,
  type EventRecord,
  type FleetApprovalTarget,
  type ResourceRecord,
  type RevisionRecord,
  type RunRecord,
  type Store,
} from '../../src/store/index.js';

export function record(id: string, over: Partial<ResourceRecord> = {}): ResourceRecord {
  const [kind, namespace, name] = id.split('/');
  return {
    id,
    kind,
    namespace,
    name,
    source: 'local',
    labels: {},
    spec: { path: `/srv/${name}` },
    lifecycle: {},
    dependsOn: [],
    desiredDigest: `digest-${name}`,
    managed: true,
    declared: true,
    sync: 'InSync',
    health: 'Healthy',
    conditions: [],
    attempts: 0,
    updatedAt: '2024-05-01T10:00:00.000Z',
    ...over,
  };
}

const ids = (rs: ResourceRecord[]) => rs.map((r) => r.id);

/**
 * Registers the contract's tests. `open` gives a fresh, empty store;
 * `openPair` two handles (connections) on one fresh state.
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  openPair: () => Promise<[Store, Store]>,
): void {
  describe(`${name}: resources`, () => {
    it('stores a record and gives back exactly what was stored', async () => {
      const store = await open();
      const r = record('File/web/motd', {
        labels: { owner: 'team-web' },
        lifecycle: { prune: true, ignoreChanges: ['spec.mode'] },
        dependsOn: ['Directory/web/srv'],
        origin: 'web.yaml:3',
        lastAppliedRevision: 'rev1',
        drift: [{ path: 'spec.mode', old: '0600', new: '0644' }],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Applied',
            message: 'ok',
            since: '2024-05-01T10:00:00.000Z',
          },
        ],
        attempts: 2,
        lastError: 'boom',
      });
      await store.putResources([r]);
      assert.deepEqual(await store.getResource('File/web/motd'), r);
      assert.equal(await store.getResource('File/web/other'), undefined);
    });

    it('replaces a record with the same id', async () => {
      const store = await open();
      await store.putResources([record('File/default/a', { sync: 'Drifted' })]);
      await store.putResources([record('File/default/a', { sync: 'InSync', attempts: 3 })]);
      const all = await store.listResources();
      assert.equal(all.length, 1);
      assert.equal(all[0].sync, 'InSync');
      assert.equal(all[0].attempts, 3);
      assert.deepEqual(await store.listResources({ sync: 'Drifted' }), []);
    });

    it('deletes records by id and ignores unknown ids', async () => {
      const store = await open();
      await store.putResources([
        record('File/default/a'),
        record('File/default/b'),
        record('File/default/c'),
      ]);
      await store.deleteResources(['File/default/a', 'File/default/c', 'File/default/nope']);
      assert.deepEqual(ids(await store.listResources()), ['File/default/b']);
    });

    it('filters by kind, namespace, source, sync, health and labels, alone and together, sorted by id', async () => {
      const store = await open();
      await store.putResources([
        record('File/web/b', { labels: { owner: 'web', tier: 'critical' } }),
        record('File/web/a', { labels: { owner: 'web' }, sync: 'Drifted' }),
        record('File/db/a', { labels: { owner: 'db', tier: 'critical' }, health: 'Degraded', source: 'git' }),
        record('Directory/web/srv', { labels: { owner: 'web' }, sync: 'Failed', health: 'Missing' }),
      ]);
      assert.deepEqual(ids(await store.listResources()), [
        'Directory/web/srv',
        'File/db/a',
        'File/web/a',
        'File/web/b',
      ]);
      assert.deepEqual(ids(await store.listResources({ kind: 'File' })), [
        'File/db/a',
        'File/web/a',
        'File/web/b',
      ]);
      assert.deepEqual(ids(await store.listResources({ namespace: 'web' })), [
        'Directory/web/srv',
        'File/web/a',
        'File/web/b',
      ]);
      assert.deepEqual(ids(await store.listResources({ source: 'git' })), ['File/db/a']);
      assert.deepEqual(ids(await store.listResources({ sync: 'Drifted' })), ['File/web/a']);
      assert.deepEqual(ids(await store.listResources({ health: 'Missing' })), ['Directory/web/srv']);
      assert.deepEqual(ids(await store.listResources({ labels: { tier: 'critical' } })), [
        'File/db/a',
        'File/web/b',
      ]);
      assert.deepEqual(ids(await store.listResources({ labels: { owner: 'web', tier: 'critical' } })), [
        'File/web/b',
      ]);
      assert.deepEqual(ids(await store.listResources({ labels: { owner: 'nobody' } })), []);
      assert.deepEqual(
        ids(
          await store.listResources({
            kind: 'File',
            namespace: 'web',
            sync: 'InSync',
            health: 'Healthy',
            source: 'local',
          }),
        ),
        ['File/web/b'],
      );
      assert.deepEqual(ids(await store.listResources({ kind: 'File', health: 'Missing' })), []);
    });

    it('filters by a short list of ids (in SQL) and by a list over 500 ids (in memory) alike', async () => {
      const store = await open();
      const all = Array.from({ length: 700 }, (_, i) =>
        record(`File/default/r${String(i).padStart(3, '0')}`, { sync: i % 2 ? 'Drifted' : 'InSync' }),
      );
      await store.putResources(all);
      const few = ['File/default/r010', 'File/default/r003', 'File/default/missing'];
      assert.deepEqual(ids(await store.listResources({ ids: few })), [
        'File/default/r003',
        'File/default/r010',
      ]);
      const many = [...all.slice(100, 650).map((r) => r.id), 'File/default/missing'];
      assert.equal(many.length, 551);
      const got = await store.listResources({ ids: many });
      assert.equal(got.length, 550);
      assert.equal(got[0].id, 'File/default/r100');
      assert.equal(got[549].id, 'File/default/r649');
      // Other filters still apply with a long list.
      assert.equal((await store.listResources({ ids: many, sync: 'Drifted' })).length, 275);
      assert.deepEqual(await store.listResources({ ids: [] }), []);
    });

    it('lists the summaries of one source with the signature of each record', async () => {
      const store = await open();
      const a = record('File/default/a', { healthMessage: 'fine', origin: 'a.yaml:1' });
      const b = record('File/default/b', {
        managed: false,
        declared: false,
        sync: 'Drifted',
        lastError: 'denied',
      });
      await store.putResources([a, b, record('File/default/c', { source: 'git' })]);
      const summaries = (await store.listResourceSummaries('local')).sort((x, y) => x.id.localeCompare(y.id));
      assert.deepEqual(summaries, [
        {
          id: 'File/default/a',
          sync: 'InSync',
          managed: true,
          declared: true,
          signature: statusSignature(a),
        },
        {
          id: 'File/default/b',
          sync: 'Drifted',
          managed: false,
          declared: false,
          signature: statusSignature(b),
        },
      ]);
      assert.deepEqual(await store.listResourceSummaries('nobody'), []);
    });

    it('writes nothing for an empty batch', async () => {
      const store = await open();
      await store.putResources([]);
      await store.appendEvents([]);
      assert.deepEqual(await store.appendAudit([]), []);
      assert.deepEqual(await store.listResources(), []);
      assert.deepEqual(await store.listEvents(), []);
    });
  });

  describe(`${name}: events`, () => {
    function event(i: number, resourceId?: string): EventRecord {
      return {
        time: `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
        type: i % 3 ? 'Normal' : 'Warning',
        reason: `R${i}`,
        message: `event ${i}`,
        resourceId,
      };
    }

    it('numbers events in order and gives back their fields', async () => {
      const store = await open();
      await store.appendEvents([
        { ...event(1, 'File/default/a'), revisionId: 'rev1', runId: 'run1' },
        event(2),
      ]);
      await store.appendEvents([event(3, 'File/default/a')]);
      const events = await store.listEvents();
      assert.deepEqual(events, [
        {
          seq: 1,
          time: '2024-05-01T10:00:01.000Z',
          type: 'Normal',
          reason: 'R1',
          message: 'event 1',
          resourceId: 'File/default/a',
          revisionId: 'rev1',
          runId: 'run1',
        },
        {
          seq: 2,
          time: '2024-05-01T10:00:02.000Z',
          type: 'Normal',
          reason: 'R2',
          message: 'event 2',
          resourceId: undefined,
          revisionId: undefined,
          runId: undefined,
        },
        {
          seq: 3,
          time: '2024-05-01T10:00:03.000Z',
          type: 'Warning',
          reason: 'R3',
          message: 'event 3',
          resourceId: 'File/default/a',
          revisionId: undefined,
          runId: undefined,
        },
      ]);
    });

    it('returns the newest N, oldest first; 100 by default', async () => {
      const store = await open();
      await store.appendEvents(Array.from({ length: 150 }, (_, i) => event(i + 1)));
      const last = await store.listEvents();
      assert.equal(last.length, 100);
      assert.equal(last[0].seq, 51);
      assert.equal(last[99].seq, 150);
      assert.deepEqual(
        (await store.listEvents({ limit: 3 })).map((e) => e.seq),
        [148, 149, 150],
      );
    });

    it('filters by resource and by sequence number', async () => {
      const store = await open();
      await store.appendEvents(
        Array.from({ length: 10 }, (_, i) => event(i + 1, i % 2 ? 'File/default/odd' : 'File/default/even')),
      );
      assert.deepEqual(
        (await store.listEvents({ resourceId: 'File/default/odd' })).map((e) => e.seq),
        [2, 4, 6, 8, 10],
      );
      assert.deepEqual(
        (await store.listEvents({ afterSeq: 7 })).map((e) => e.seq),
        [8, 9, 10],
      );
      assert.deepEqual(
        (await store.listEvents({ afterSeq: 3, resourceId: 'File/default/even' })).map((e) => e.seq),
        [5, 7, 9],
      );
      assert.deepEqual(await store.listEvents({ afterSeq: 10 }), []);
    });
  });

  describe(`${name}: revisions`, () => {
    const rev = (id: string, createdAt: string, over: Partial<RevisionRecord> = {}): RevisionRecord => ({
      id,
      digest: `sha256:${id}`,
      source: 'local',
      createdAt,
      resourceCount: 3,
      origin: 'manifests',
      admitted: true,
      ...over,
    });

    it('stores a revision and finds it by id or by a unique prefix', async () => {
      const store = await open();
      const r = rev('a1b2c3d4', '2024-05-01T10:00:00.000Z', {
        author: 'ada',
        message: 'first',
        commit: 'abc',
        diagnostics: [],
      });
      await store.putRevision(r);
      assert.deepEqual(await store.getRevision('a1b2c3d4'), r);
      assert.deepEqual(await store.getRevision('a1b2'), r);
      assert.equal(await store.getRevision('ffff'), undefined);
    });

    it('lists revisions newest first, by source, with a limit', async () => {
      const store = await open();
      await store.putRevision(rev('r1', '2024-05-01T10:00:00.000Z'));
      await store.putRevision(rev('r3', '2024-05-03T10:00:00.000Z', { source: 'git' }));
      await store.putRevision(rev('r2', '2024-05-02T10:00:00.000Z'));
      assert.deepEqual(
        (await store.listRevisions()).map((r) => r.id),
        ['r3', 'r2', 'r1'],
      );
      assert.deepEqual(
        (await store.listRevisions({ source: 'local' })).map((r) => r.id),
        ['r2', 'r1'],
      );
      assert.deepEqual(
        (await store.listRevisions({ limit: 1 })).map((r) => r.id),
        ['r3'],
      );
    });

    it('records the first convergence only', async () => {
      const store = await open();
      await store.putRevision(rev('r1', '2024-05-01T10:00:00.000Z'));
      await store.markConverged('r1', '2024-05-01T10:05:00.000Z');
      await store.markConverged('r1', '2024-05-01T11:00:00.000Z');
      await store.markConverged('unknown', '2024-05-01T11:00:00.000Z');
      assert.equal((await store.getRevision('r1'))!.convergedAt, '2024-05-01T10:05:00.000Z');
    });
  });

  describe(`${name}: runs`, () => {
    it('stores runs, updates them by id and lists them newest first with a limit', async () => {
      const store = await open();
      const run = (id: string, startedAt: string, over: Partial<RunRecord> = {}): RunRecord => ({
        id,
        command: 'apply',
        actor: 'ada',
        startedAt,
        result: 'running',
        summary: {},
        ...over,
      });
      await store.putRun(run('run1', '2024-05-01T10:00:00.000Z'));
      await store.putRun(run('run2', '2024-05-01T11:00:00.000Z', { revisionId: 'rev2' }));
      await store.putRun(
        run('run1', '2024-05-01T10:00:00.000Z', {
          result: 'succeeded',
          finishedAt: '2024-05-01T10:01:00.000Z',
          summary: { create: 2, failed: 0 },
        }),
      );
      assert.deepEqual(await store.listRuns(), [
        {
          id: 'run2',
          command: 'apply',
          revisionId: 'rev2',
          actor: 'ada',
          startedAt: '2024-05-01T11:00:00.000Z',
          finishedAt: undefined,
          result: 'running',
          summary: {},
        },
        {
          id: 'run1',
          command: 'apply',
          revisionId: undefined,
          actor: 'ada',
          startedAt: '2024-05-01T10:00:00.000Z',
          finishedAt: '2024-05-01T10:01:00.000Z',
          result: 'succeeded',
          summary: { create: 2, failed: 0 },
        },
      ]);
      assert.deepEqual(
        (await store.listRuns({ limit: 1 })).map((r) => r.id),
        ['run2'],
      );
    });
  });

  describe(`${name}: leases`, () => {
    it('grants a free lease with term 1 and refuses a second holder while it is valid', async () => {
      const store = await open();
      const before = Date.now();
      const lease = await store.acquireLease('leader', 'a', 60_000);
      assert.ok(lease);
      assert.equal(lease.name, 'leader');
      assert.equal(lease.holder, 'a');
      assert.equal(lease.term, 1);
      assert.ok(lease.expiresAt >= before + 60_000 && lease.expiresAt <= Date.now() + 60_000);
      assert.equal(await store.acquireLease('leader', 'b', 60_000), undefined);
      assert.deepEqual(await store.getLease('leader'), lease);
      assert.equal(await store.getLease('other'), undefined);
    });

    it('lets the holder take its valid lease again without a new term', async () => {
      const store = await open();
      await store.acquireLease('leader', 'a', 60_000);
      assert.equal((await store.acquireLease('leader', 'a', 60_000))!.term, 1);
    });

    it('hands an expired lease to another holder with a greater term', async () => {
      const store = await open();
      // Valid for a minute, so the refusal below cannot race a loaded machine;
      // then shortened by a renewal to make it expire.
      const a = (await store.acquireLease('leader', 'a', 60_000))!;
      assert.equal(await store.acquireLease('leader', 'b', 60_000), undefined);
      await expireLease(store, 'a', a.term);
      const b = await store.acquireLease('leader', 'b', 60_000);
      assert.equal(b?.holder, 'b');
      assert.equal(b?.term, 2);
      await expireLease(store, 'b', b.term);
      // A new acquisition after expiry gets a new term, even for a former holder.
      assert.equal((await store.acquireLease('leader', 'a', 60_000))?.term, 3);
    });

    it('renews only for the current holder with the current term', async () => {
      const store = await open();
      const a = (await store.acquireLease('leader', 'a', 30))!;
      assert.equal(await store.renewLease('leader', 'a', a.term, 60_000), true);
      assert.ok((await store.getLease('leader'))!.expiresAt > Date.now() + 50_000);
      assert.equal(await store.renewLease('leader', 'b', a.term, 60_000), false);
      assert.equal(await store.renewLease('leader', 'a', a.term + 1, 60_000), false);
      assert.equal(await store.renewLease('nope', 'a', a.term, 60_000), false);
    });

    it('refuses a renewal with a stale term after another holder took over', async () => {
      const store = await open();
      const a = (await store.acquireLease('leader', 'a', 20))!;
      await sleep(40);
      const b = (await store.acquireLease('leader', 'b', 60_000))!;
      assert.equal(b.term, a.term + 1);
      assert.equal(await store.renewLease('leader', 'a', a.term, 60_000), false);
      assert.equal((await store.getLease('leader'))!.holder, 'b');
    });

    it('frees a released lease at once; the next holder gets the next term; others cannot release it', async () => {
      const store = await open();
      await store.acquireLease('leader', 'a', 60_000);
      await store.releaseLease('leader', 'b');
      assert.equal(await store.acquireLease('leader', 'b', 60_000), undefined);
      await store.releaseLease('leader', 'a');
      assert.equal((await store.getLease('leader'))!.expiresAt, 0);
      const b = await store.acquireLease('leader', 'b', 60_000);
      assert.equal(b?.term, 2);
    });

    it('keeps leases apart by name and shares them between two handles on one state', async () => {
      const [one, two] = await openPair();
      assert.equal((await one.acquireLease('leader', 'a', 60_000))?.term, 1);
      assert.equal((await two.acquireLease('shard-1', 'b', 60_000))?.term, 1);
      assert.equal(await two.acquireLease('leader', 'b', 60_000), undefined);
      assert.equal((await two.getLease('leader'))?.holder, 'a');
    });
  });

  describe(`${name}: approvals`, () => {
    const approval = (id: string): ApprovalRecord => ({
      id,
      resourceId: 'File/default/a',
      op: 'delete',
      reason: 'pruned',
      destructive: true,
      changes: [],
      desiredDigest: 'd',
      changeDigest: 'c',
      state: 'pending',
      createdAt: '2026-12-06T00:00:00.000Z',
      fleet: { targets: [] },
    });
    const target = (node: string): FleetApprovalTarget => ({
      node,
      localId: `l-${node}`,
      desiredDigest: 'd',
      state: 'pending',
      reportedAt: '2026-12-06T00:00:00.000Z',
    });

    it('updates an approval in one step: creates, changes, or writes nothing', async () => {
      const store = await open();
      assert.equal(await store.updateApproval('ap1', () => undefined), undefined);
      assert.equal(await store.getApproval('ap1'), undefined);
      const made = await store.updateApproval('ap1', (cur) => cur ?? approval('ap1'));
      assert.deepEqual(await store.getApproval('ap1'), made);
      await store.updateApproval('ap1', (cur) => ({ ...cur!, state: 'approved', decidedBy: 'ann' }));
      assert.equal((await store.listApprovals({ state: 'approved' }))[0]?.decidedBy, 'ann');
      await assert.rejects(
        store.updateApproval('ap1', () => {
          throw new Error('not pending');
        }),
        /not pending/,
      );
      assert.equal((await store.getApproval('ap1'))?.state, 'approved');
    });

    it('loses no update when two handles change one approval at once', async () => {
      const [one, two] = await openPair();
      const nodes = Array.from({ length: 12 }, (_, i) => `n${i}`);
      // Each writer adds its node's target to whatever is there: a read-then-put would drop some.
      await Promise.all(
        nodes.map((node, i) =>
          (i % 2 ? one : two).updateApproval('ap2', (cur) => {
            const base = cur ?? approval('ap2');
            return { ...base, fleet: { targets: [...base.fleet!.targets, target(node)] } };
          }),
        ),
      );
      const got = await one.getApproval('ap2');
      assert.deepEqual(got?.fleet?.targets.map((t) => t.node).sort(), [...nodes].sort());
    });
  });
}

/** Shortens a held lease to a millisecond by renewing it, and waits until it has expired. */
async function expireLease(store: Store, holder: string, term: number): Promise<void> {
  assert.equal(await store.renewLease('leader', holder, term, 1), true);
  const expiresAt = (await store.getLease('leader'))!.expiresAt;
  while (Date.now() <= expiresAt + 1) await sleep(2);
}
