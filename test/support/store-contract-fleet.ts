/**
 * The fleet's part of the store contract, shared by every store's tests:
 * nodes by name and by token hash, enrolment tokens that expire and run out
 * of uses (one use each, even when taken at once), report batches taken once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeRecord } from '../../src/store/nodes.js';
import type { Store } from '../../src/store/types.js';

const node = (name: string, tokenHash: string, o: Partial<NodeRecord> = {}): NodeRecord => ({
  name,
  labels: { env: 'prod' },
  facts: { hostname: name, os: { family: 'debian' } },
  tokenHash,
  enrolledAt: '2026-01-01T00:00:00.000Z',
  counts: { total: 0, inSync: 0, drifted: 0, failed: 0 },
  resources: [],
  batches: 0,
  droppedBatches: 0,
  ...o,
});

export function fleetContract(name: string, open: () => Promise<Store>): void {
  describe(`${name}: fleet`, () => {
    it('stores nodes, replaces them by name and finds them by token hash', async () => {
      const store = await open();
      await store.putNode(node('web1', 'a'.repeat(64)));
      await store.putNode(node('web2', 'b'.repeat(64)));
      await store.putNode(node('web1', 'c'.repeat(64), { lastSeenAt: '2026-01-02T00:00:00.000Z' }));
      assert.deepEqual(
        (await store.listNodes()).map((n) => n.name),
        ['web1', 'web2'],
      );
      assert.equal((await store.getNode('web1'))?.lastSeenAt, '2026-01-02T00:00:00.000Z');
      assert.equal(await store.nodeByTokenHash('a'.repeat(64)), undefined);
      assert.equal((await store.nodeByTokenHash('c'.repeat(64)))?.name, 'web1');
      assert.deepEqual(
        await store.getNode('web1'),
        node('web1', 'c'.repeat(64), { lastSeenAt: '2026-01-02T00:00:00.000Z' }),
      );
    });

    it('gives an enrolment token as many uses as it has, until it expires', async () => {
      const store = await open();
      const base = { labels: { env: 'prod' }, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'alice' };
      await store.createEnrollToken({
        ...base,
        name: 'once',
        hash: '1'.repeat(64),
        expiresAt: '2026-01-01T01:00:00.000Z',
        usesLeft: 1,
      });
      await store.createEnrollToken({
        ...base,
        name: 'many',
        hash: '2'.repeat(64),
        expiresAt: '2026-01-01T01:00:00.000Z',
      });
      const at = '2026-01-01T00:30:00.000Z';
      const [a, b] = await Promise.all([
        store.useEnrollToken('1'.repeat(64), at),
        store.useEnrollToken('1'.repeat(64), at),
      ]);
      assert.deepEqual([typeof a === 'string' ? a : 'ok', typeof b === 'string' ? b : 'ok'].sort(), [
        'ok',
        'used',
      ]);
      for (let i = 0; i < 3; i++)
        assert.equal(typeof (await store.useEnrollToken('2'.repeat(64), at)), 'object');
      assert.equal(await store.useEnrollToken('2'.repeat(64), '2026-01-01T01:00:00.000Z'), 'expired');
      assert.equal(await store.useEnrollToken('3'.repeat(64), at), 'unknown');
      const listed = await store.listEnrollTokens();
      assert.deepEqual(
        listed.map((t) => [t.name, t.usesLeft]),
        [
          ['once', 0],
          ['many', undefined],
        ],
      );
    });

    it('takes a report batch once; a released claim can be taken again', async () => {
      const store = await open();
      const at = '2026-01-01T00:00:00.000Z';
      assert.equal(await store.claimNodeBatch('web1', 'b1', at), true);
      assert.equal(await store.claimNodeBatch('web1', 'b1', at), false);
      assert.equal(await store.claimNodeBatch('web2', 'b1', at), true);
      await store.releaseNodeBatch('web1', 'b1');
      assert.equal(await store.claimNodeBatch('web1', 'b1', at), true);
    });
  });
}
