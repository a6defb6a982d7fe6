/**
 * Fencing in the SQLite store: two handles on one file, as two processes
 * would have. Once B took the lease over, every write of A is refused
 * (atomically, nothing written) and assertCanAct fails; a lease that merely
 * expired, with nobody taking it, is renewed by assertCanAct.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../../test/helpers.js';
import { LockLostError } from '../fence.js';
import type { ResourceRecord } from '../types.js';
import { SqliteStore } from './index.js';

const opened: SqliteStore[] = [];
after(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
});

function twoHandles(): [SqliteStore, SqliteStore] {
  const path = join(tempDir(), 'state.db');
  const a = new SqliteStore(path);
  const b = new SqliteStore(path);
  opened.push(a, b);
  return [a, b];
}

function record(id: string): ResourceRecord {
  return {
    id,
    kind: 'File',
    namespace: 'default',
    name: id.split('/').pop()!,
    source: 'local',
    labels: {},
    spec: {},
    lifecycle: {},
    dependsOn: [],
    desiredDigest: 'd',
    managed: true,
    declared: true,
    sync: 'InSync',
    health: 'Healthy',
    conditions: [],
    attempts: 0,
    updatedAt: new Date().toISOString(),
  };
}

const audit = (action: string) => [{ time: new Date().toISOString(), actor: 't', action, result: 'ok' }];

describe('SqliteStore: fencing', () => {
  it('refuses every write of a holder whose lease was taken over, naming the new holder and term', async () => {
    const [a, b] = twoHandles();
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
    const [a, b] = twoHandles();
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
    const [a, b] = twoHandles();
    await a.acquireLease('state', 'host:1 apply', 60_000);
    assert.equal(
      await b.acquireLease('state', 'host:2 apply', 60_000, { holder: 'host:1 apply', term: 7 }),
      undefined,
    );
    const taken = await b.acquireLease('state', 'host:2 apply', 60_000, { holder: 'host:1 apply', term: 1 });
    assert.equal(taken?.term, 2);
    assert.equal(taken?.previous?.holder, 'host:1 apply');
  });

  it('writes freely once the fence is lifted, and a released lease is no takeover', async () => {
    const [a, b] = twoHandles();
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
