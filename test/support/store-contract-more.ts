/**
 * More of the store contract, shared by every store's tests: the alerting
 * state (incidents keep their acks, silences by time, SLI samples add up),
 * API tokens, caller meta values, policy violations, reconcile spans (bounded per resource), rollouts (by id or prefix, newest
 * first, by source and active phase), and fencing between two handles on one
 * state (once B took the lease over, every write of A is refused,
 * atomically, and assertCanAct fails).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertRecord, SilenceRecord } from '../../src/store/alerts.js';
import { LockLostError } from '../../src/store/fence.js';
import type { Store, TokenRecord } from '../../src/store/types.js';
import type { ViolationRecord } from '../../src/store/violations.js';
import { SPANS_PER_RESOURCE, type ReconcileSpan } from '../../src/store/spans.js';
import type { RolloutRecord } from '../../src/store/rollouts.js';
import { record as fullRecord } from './store-contract.js';

const alert = (id: string, o: Partial<AlertRecord> = {}): AlertRecord => ({
  id,
  fingerprint: `fp-${id}`,
  rule: 'DriftDetected',
  severity: 'ticket',
  state: 'firing',
  labels: { alertname: 'DriftDetected', owner: 'team-web' },
  annotations: { summary: 's' },
  activeAt: '2026-01-01T00:00:00.000Z',
  startsAt: '2026-01-01T00:00:00.000Z',
  lastEvaluatedAt: '2026-01-01T00:00:00.000Z',
  ...o,
});

const token = (name: string, hash: string): TokenRecord => ({
  name,
  role: 'viewer',
  namespaces: ['web'],
  hash,
  createdAt: '2026-01-01T00:00:00Z',
  createdBy: 'alice',
});

const row = (over: Partial<ViolationRecord>): ViolationRecord => ({
  time: '2024-01-01T00:00:00.000Z',
  policy: 'p',
  resourceId: 'File/default/a',
  revisionId: 'rev1',
  action: 'deny',
  phase: 'admission',
  blocked: true,
  message: 'm',
  ...over,
});

const record = (id: string) => fullRecord(id, { updatedAt: new Date().toISOString() });

const audit = (action: string) => [{ time: new Date().toISOString(), actor: 't', action, result: 'ok' }];

/** Registers the tests; `open` gives a fresh store, `openPair` two handles on one fresh state. */
export function storeContractMore(
  name: string,
  open: () => Promise<Store>,
  openPair: () => Promise<[Store, Store]>,
): void {
  describe(`${name}: alert state`, () => {
    it('keeps an acknowledgement when the incident is written again, and finds incidents by prefix', async () => {
      const store = await open();
      await store.putAlerts([alert('aaaa1111'), alert('bbbb2222', { startsAt: '2026-01-01T00:01:00.000Z' })]);
      await store.ackAlert('aaaa1111', {
        by: 'ada',
        at: '2026-01-01T00:05:00.000Z',
        actionable: true,
        comment: 'real',
      });
      await store.putAlerts([
        alert('aaaa1111', { state: 'resolved', resolvedAt: '2026-01-01T00:06:00.000Z', ack: undefined }),
      ]);
      const a = await store.getAlert('aaaa');
      assert.equal(a?.state, 'resolved');
      assert.deepEqual(a?.ack, {
        by: 'ada',
        at: '2026-01-01T00:05:00.000Z',
        actionable: true,
        comment: 'real',
      });
      assert.deepEqual(
        (await store.listAlerts()).map((x) => x.id),
        ['bbbb2222', 'aaaa1111'],
        'newest first',
      );
      assert.deepEqual(
        (await store.listAlerts({ states: ['firing'] })).map((x) => x.id),
        ['bbbb2222'],
      );
      assert.deepEqual(
        (await store.listAlerts({ ackedSince: '2026-01-01T00:04:00.000Z' })).map((x) => x.id),
        ['aaaa1111'],
      );
      assert.equal(await store.getAlert('zz'), undefined);
      await store.close();
    });

    it('lists the silences in force at a time', async () => {
      const store = await open();
      const s = (id: string, startsAt: string, endsAt: string): SilenceRecord => ({
        id,
        matchers: [{ name: 'owner', op: '=', value: 'x' }],
        startsAt,
        endsAt,
        createdBy: 'ada',
        createdAt: startsAt,
        comment: 'c',
      });
      await store.putSilence(s('past', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z'));
      await store.putSilence(s('now', '2026-01-01T01:30:00Z', '2026-01-01T03:00:00Z'));
      await store.putSilence(s('later', '2026-01-01T05:00:00Z', '2026-01-01T06:00:00Z'));
      assert.deepEqual(
        (await store.listSilences({ activeAt: '2026-01-01T02:00:00Z' })).map((x) => x.id),
        ['now'],
      );
      assert.equal((await store.listSilences()).length, 3);
      assert.equal((await store.getSilence('no'))?.id, 'now');
      await store.close();
    });

    it('adds SLI samples of the same minute together, and forgets old ones', async () => {
      const store = await open();
      await store.addSliSamples([{ sli: 'r', minute: 10, good: 3, total: 4 }]);
      await store.addSliSamples([
        { sli: 'r', minute: 10, good: 1, total: 1 },
        { sli: 'r', minute: 11, good: 2, total: 2 },
      ]);
      assert.deepEqual(
        (await store.listSliSamples('r', 0)).map((x) => [x.minute, x.good, x.total]),
        [
          [10, 4, 5],
          [11, 2, 2],
        ],
      );
      await store.deleteSliSamples(11);
      assert.deepEqual(
        (await store.listSliSamples('r', 0)).map((x) => x.minute),
        [11],
      );
      await store.close();
    });
  });

  describe(`${name}: tokens`, () => {
    it('creates once per name, revokes, and allows the name again after revocation', async () => {
      const store = await open();
      try {
        assert.equal(await store.createToken(token('ci', 'a'.repeat(64))), true);
        assert.equal(
          await store.createToken(token('ci', 'b'.repeat(64))),
          false,
          'an active token of that name exists',
        );
        assert.equal((await store.listTokens())[0].hash, 'a'.repeat(64), 'the first one is kept');
        assert.equal(await store.revokeToken('ci', '2026-01-02T00:00:00Z', 'bob'), true);
        assert.equal(await store.revokeToken('ci', '2026-01-03T00:00:00Z', 'bob'), false, 'already revoked');
        assert.equal(await store.revokeToken('nobody', '2026-01-03T00:00:00Z', 'bob'), false);
        const [revoked] = await store.listTokens();
        assert.deepEqual(
          [revoked.revokedAt, revoked.revokedBy, revoked.namespaces],
          ['2026-01-02T00:00:00Z', 'bob', ['web']],
        );
        assert.equal(
          await store.createToken(token('ci', 'c'.repeat(64))),
          true,
          'a revoked name can be reused',
        );
        const [again] = await store.listTokens();
        assert.equal(again.hash, 'c'.repeat(64));
        assert.equal(again.revokedAt, undefined);
      } finally {
        await store.close();
      }
    });
  });

  describe(`${name}: policy violations`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });

    it('keep every row, newest first, filtered by policy, resource and time', async () => {
      await store.appendViolations([
        row({}),
        row({
          time: '2024-01-02T00:00:00.000Z',
          policy: 'q',
          action: 'audit',
          blocked: false,
          revisionId: undefined,
        }),
        row({
          time: '2024-01-03T00:00:00.000Z',
          resourceId: 'File/default/b',
          phase: 'runtime',
          action: 'warn',
          blocked: false,
        }),
      ]);
      const all = await store.listViolations();
      assert.deepEqual(
        all.map((v) => [v.seq, v.policy, v.resourceId, v.action, v.blocked]),
        [
          [3, 'p', 'File/default/b', 'warn', false],
          [2, 'q', 'File/default/a', 'audit', false],
          [1, 'p', 'File/default/a', 'deny', true],
        ],
      );
      assert.equal(all[1].revisionId, undefined);
      assert.deepEqual(
        (await store.listViolations({ policy: 'p' })).map((v) => v.seq),
        [3, 1],
      );
      assert.deepEqual(
        (await store.listViolations({ resourceId: 'File/default/a' })).map((v) => v.seq),
        [2, 1],
      );
      assert.deepEqual(
        (await store.listViolations({ since: '2024-01-02T00:00:00.000Z' })).map((v) => v.seq),
        [3, 2],
      );
      assert.deepEqual(
        (await store.listViolations({ limit: 1 })).map((v) => v.seq),
        [3],
      );
    });

    it('count per policy and action, with blocked counts and the latest time', async () => {
      assert.deepEqual(await store.violationTotals(), [
        { policy: 'p', action: 'deny', count: 1, blocked: 1, last: '2024-01-01T00:00:00.000Z' },
        { policy: 'p', action: 'warn', count: 1, blocked: 0, last: '2024-01-03T00:00:00.000Z' },
        { policy: 'q', action: 'audit', count: 1, blocked: 0, last: '2024-01-02T00:00:00.000Z' },
      ]);
      assert.deepEqual(
        (await store.violationTotals({ since: '2024-01-03' })).map((t) => t.action),
        ['warn'],
      );
    });
  });

  describe(`${name}: reconcile spans`, () => {
    const span = (resourceId: string, i: number): ReconcileSpan => ({
      resourceId,
      reconcileId: `r${i}`,
      ...(i % 2 ? { traceId: 'a'.repeat(32) } : {}),
      revisionId: 'rev1',
      action: 'update',
      outcome: i === 3 ? 'error' : 'applied',
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      durationMs: 12.5,
      phases: [
        { name: 'observe', startMs: 0, durationMs: 2 },
        { name: 'act', startMs: 3, durationMs: 9, ...(i === 3 ? { error: 'disk full' } : {}) },
      ],
      ...(i === 3 ? { error: 'disk full' } : {}),
    });

    it("keep each resource's newest spans, newest first, with their phases, and no more than the bound", async () => {
      const store = await open();
      const many = Array.from({ length: SPANS_PER_RESOURCE + 5 }, (_, i) => span('File/default/a', i));
      await store.appendSpans(many.slice(0, 10));
      await store.appendSpans([span('File/default/b', 0)]);
      await store.appendSpans(many.slice(10));
      const a = await store.listSpans('File/default/a');
      assert.equal(a.length, SPANS_PER_RESOURCE, 'older spans of a resource are dropped');
      assert.equal(a[0].reconcileId, `r${SPANS_PER_RESOURCE + 4}`, 'newest first');
      assert.equal(a.at(-1)!.reconcileId, 'r5');
      const b = await store.listSpans('File/default/b');
      assert.equal(b.length, 1, "another resource's spans are untouched");
      assert.deepEqual({ ...b[0], id: undefined }, { ...span('File/default/b', 0), id: undefined });
      const [three] = (await store.listSpans('File/default/a', { limit: 100 })).filter(
        (x) => x.reconcileId === 'r5',
      );
      assert.equal(three.traceId, 'a'.repeat(32));
      assert.deepEqual(
        (await store.listSpans('File/default/a', { limit: 2 })).map((x) => x.reconcileId),
        [`r${SPANS_PER_RESOURCE + 4}`, `r${SPANS_PER_RESOURCE + 3}`],
      );
      assert.deepEqual(await store.listSpans('File/default/none'), []);
    });
  });

  describe(`${name}: meta values`, () => {
    it("keeps a caller value across handles, replaced on put, apart from the store's own keys", async () => {
      const [a, b] = await openPair();
      assert.equal(await a.getMeta('report-cursor'), undefined);
      await a.putMeta('report-cursor', '{"events":1}');
      await a.putMeta('report-cursor', '{"events":2}');
      assert.equal(await b.getMeta('report-cursor'), '{"events":2}');
      const salt = await a.salt();
      await a.putMeta('salt', 'not-the-salt');
      assert.equal(await b.salt(), salt);
      assert.equal(await b.getMeta('salt'), 'not-the-salt');
    });
  });

  describe(`${name}: source state`, () => {
    it('changes a source in one read-modify-write: concurrent changes from two handles all survive', async () => {
      const [a, b] = await openPair();
      await a.updateSource('site', (s) => ({ ...s, current: 'r1', lastError: '' }));
      // Each change appends one mark; a lost update would leave fewer than 20.
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).updateSource('site', (s) => ({ ...s, lastError: `${s.lastError ?? ''}x` })),
        ),
      );
      await b.updateSource('site', (s) => ({ ...s, pinned: 'r1', pinnedBy: 'otto' }));
      const s = await a.getSource('site');
      assert.equal(s?.lastError, 'x'.repeat(20));
      assert.equal(s?.current, 'r1');
      assert.equal(s?.pinned, 'r1');
      const unpinned = await a.updateSource('site', (x) => ({
        ...x,
        pinned: undefined,
        pinnedBy: undefined,
      }));
      assert.equal(unpinned.pinned, undefined);
      assert.deepEqual(
        (await b.listSources()).map((x) => [x.name, x.pinned, x.current]),
        [['site', undefined, 'r1']],
      );
    });
  });

  describe(`${name}: rollouts`, () => {
    const rollout = (
      id: string,
      source: string,
      startedAt: string,
      o: Partial<RolloutRecord> = {},
    ): RolloutRecord => ({
      id,
      name: source,
      source,
      from: 'rev1',
      to: 'rev2',
      phase: 'Progressing',
      step: 0,
      steps: ['group canary', 'gate 1m: health', '100%'],
      pins: { 'File/default/canary': 'rev2' },
      targets: ['File/default/a', 'File/default/canary'],
      stepStartedAt: startedAt,
      startedAt,
      updatedAt: startedAt,
      actor: 'setpoint-serve',
      ...o,
    });

    it('keep each rollout by id (or a unique prefix), replace it on update, and list newest first by source and phase', async () => {
      const store = await open();
      assert.deepEqual(await store.listRollouts(), []);
      const first = rollout('aaaa11112222', 'app', '2026-01-01T00:00:00.000Z', { phase: 'Completed' });
      const second = rollout('aaaa33334444', 'app', '2026-01-01T00:01:00.000Z');
      const other = rollout('bbbb11112222', 'web', '2026-01-01T00:02:00.000Z', { phase: 'Paused' });
      for (const r of [first, second, other]) await store.putRollout(r);
      assert.deepEqual(await store.getRollout('aaaa33334444'), second);
      assert.deepEqual(await store.getRollout('bbbb'), other, 'a unique prefix');
      assert.equal(await store.getRollout('aaaa'), undefined, 'an ambiguous prefix finds nothing');
      assert.equal(await store.getRollout('a_%'), undefined, 'LIKE wildcards are taken literally');
      assert.deepEqual(
        (await store.listRollouts()).map((r) => r.id),
        ['bbbb11112222', 'aaaa33334444', 'aaaa11112222'],
      );
      assert.deepEqual(
        (await store.listRollouts({ source: 'app', limit: 1 })).map((r) => r.id),
        ['aaaa33334444'],
      );
      assert.deepEqual(
        (await store.listRollouts({ active: true })).map((r) => r.id),
        ['bbbb11112222', 'aaaa33334444'],
      );
      const rolledBack = {
        ...second,
        phase: 'RolledBack' as const,
        pins: { 'File/default/canary': 'rev1' },
        gate: [
          { check: 'health of HttpCheck/default/web', ok: false, message: 'Degraded', at: second.startedAt },
        ],
        reason: 'gate of step 2 failed',
        finishedAt: '2026-01-01T00:01:30.000Z',
      };
      await store.putRollout(rolledBack);
      assert.deepEqual(await store.getRollout('aaaa33334444'), rolledBack);
      assert.deepEqual(
        (await store.listRollouts({ source: 'app', active: true })).map((r) => r.id),
        [],
        'a rolled back rollout is no longer active',
      );
      assert.equal((await store.listRollouts({ source: 'app' })).length, 2, 'an update adds no row');
    });
  });

  describe(`${name}: fencing`, () => {
    it('refuses every write of a holder whose lease was taken over, naming the new holder and term', async () => {
      const [a, b] = await openPair();
      const leaseA = (await a.acquireLease('state', 'host:1 apply', 40))!;
      const lost: Error[] = [];
      a.setFence({
        lease: 'state',
        holder: leaseA.holder,
        term: leaseA.term,
        ttlMs: 40,
        onLost: (e) => lost.push(e),
      });
      await a.putResources([record('File/default/one')]);
      await a.appendAudit(audit('apply.create'));

      await sleep(80);
      const leaseB = (await b.acquireLease('state', 'host:2 apply', 60_000))!;
      assert.equal(leaseB.term, 2);
      assert.deepEqual(leaseB.previous, { holder: 'host:1 apply', term: 1, expiresAt: leaseA.expiresAt });

      const refused = /lost the state lock to host:2 apply \(term 2\); this run held term 1/;
      await assert.rejects(
        a.putResources([record('File/default/two')]),
        (e) => e instanceof LockLostError && refused.test(e.message),
      );
      await assert.rejects(a.appendAudit(audit('apply.update')), refused);
      await assert.rejects(a.deleteResources(['File/default/one']), refused);
      await assert.rejects(
        a.appendEvents([{ time: 'now', type: 'Normal', reason: 'R', message: 'm' }]),
        refused,
      );
      await assert.rejects(a.assertCanAct(), refused);
      assert.equal(lost.length, 1, 'onLost is called once');
      assert.equal((lost[0] as LockLostError).code, 'SETPOINT_LOCK_LOST');

      // Nothing of A's refused writes is in the store; B writes as usual.
      assert.deepEqual(
        (await b.listResources()).map((r) => r.id),
        ['File/default/one'],
      );
      assert.deepEqual(
        (await b.listAudit()).map((e) => e.action),
        ['apply.create'],
      );
      b.setFence({ lease: 'state', holder: leaseB.holder, term: leaseB.term, ttlMs: 60_000 });
      await b.putResources([record('File/default/two')]);
      await b.assertCanAct();
      assert.equal((await b.verifyAudit()).ok, true);
      // A's renewal fails too: the lease is B's.
      assert.equal(await a.renewLease('state', leaseA.holder, leaseA.term, 60_000), false);
    });

    it('renews an expired lease nobody took when the holder checks before acting', async () => {
      const [a, b] = await openPair();
      const lease = (await a.acquireLease('state', 'host:1 serve', 40))!;
      a.setFence({ lease: 'state', holder: lease.holder, term: lease.term, ttlMs: 40 });
      await sleep(80);
      await a.assertCanAct();
      const now = (await b.getLease('state'))!;
      assert.equal(now.term, 1);
      assert.ok(now.expiresAt > Date.now(), 'renewed');
      await a.putResources([record('File/default/x')]);
    });

    it('takes a valid lease only from the exact holder and term it was told is dead', async () => {
      const [a, b] = await openPair();
      await a.acquireLease('state', 'host:1 apply', 60_000);
      assert.equal(
        await b.acquireLease('state', 'host:2 apply', 60_000, { holder: 'host:1 apply', term: 7 }),
        undefined,
      );
      const taken = await b.acquireLease('state', 'host:2 apply', 60_000, {
        holder: 'host:1 apply',
        term: 1,
      });
      assert.equal(taken?.term, 2);
      assert.equal(taken?.previous?.holder, 'host:1 apply');
    });

    it('writes freely once the fence is lifted, and a released lease is no takeover', async () => {
      const [a, b] = await openPair();
      const lease = (await a.acquireLease('state', 'host:1 apply', 60_000))!;
      a.setFence({ lease: 'state', holder: lease.holder, term: lease.term, ttlMs: 60_000 });
      await a.releaseLease('state', lease.holder);
      a.setFence(undefined);
      const next = (await b.acquireLease('state', 'host:2 apply', 60_000))!;
      assert.equal(next.previous, undefined);
      await a.putResources([record('File/default/y')]);
      await a.assertCanAct();
    });
  });
}
