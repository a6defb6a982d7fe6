/**
 * The fleet's part of the store contract, shared by every store's tests:
 * nodes by name and by token hash, enrolment tokens that expire and run out
 * of uses (one use each, even when taken at once), report batches applied
 * once and atomically (the id with everything the batch carries).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeRecord } from '../../src/store/nodes.js';
import type { NodeBatchWrites, Store } from '../../src/store/types.js';

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

/** What a report batch tagged `tag` writes: one event, one audit entry, one closed episode, a count. */
const reportWrites = (tag: string): NodeBatchWrites => ({
  events: [
    {
      time: '2026-01-01T00:00:00.000Z',
      type: 'Normal',
      reason: 'Applied',
      message: tag,
      resourceId: 'File/default/motd',
      runId: `node:${tag === 'web2' ? 'web2' : 'web1'}`,
    },
  ],
  audits: [
    {
      time: '2026-01-01T00:00:00.000Z',
      actor: 'node:web1',
      action: 'apply',
      result: 'ok',
      detail: { batch: tag },
    },
  ],
  episodes: [
    {
      resourceId: `File/default/motd@${tag}`,
      kind: 'content',
      detectedAt: '2026-01-01T00:00:00.000Z',
      recordedAt: '2026-01-01T00:00:00.000Z',
      remediatedAt: '2026-01-01T00:00:00.000Z',
      resolution: 'auto',
    },
  ],
  update: (n) => ({ ...n, batches: n.batches + 1 }),
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

    it('applies a report batch once, with its id, events, audit entries, episodes and node in one write', async () => {
      const store = await open();
      await store.putNode(node('web1', 'a'.repeat(64)));
      const at = '2026-01-01T00:00:00.000Z';
      assert.equal(await store.applyNodeBatch('web1', 'b1', at, reportWrites('one')), 'applied');
      assert.equal(await store.applyNodeBatch('web1', 'b1', at, reportWrites('again')), 'duplicate');
      // Batch ids are per node: another node's b1 is its own.
      await store.putNode(node('web2', 'b'.repeat(64)));
      assert.equal(await store.applyNodeBatch('web2', 'b1', at, reportWrites('web2')), 'applied');
      assert.deepEqual(
        (await store.listEvents({ runId: 'node:web1' })).map((e) => e.message),
        ['one'],
      );
      const audit = await store.listAudit();
      assert.deepEqual(
        audit.map((a) => a.detail?.batch),
        ['one', 'web2'],
      );
      assert.deepEqual(
        audit.map((a) => a.seq),
        [1, 2],
      );
      assert.equal((await store.verifyAudit()).ok, true);
      assert.deepEqual(
        (await store.listEpisodes()).map((e) => [e.resourceId, e.remediatedAt, e.resolution]),
        [
          ['File/default/motd@one', at, 'auto'],
          ['File/default/motd@web2', at, 'auto'],
        ],
      );
      assert.equal((await store.getNode('web1'))?.batches, 1);
    });

    it('keeps nothing of a batch whose write fails part-way, and takes it when sent again', async () => {
      const store = await open();
      await store.putNode(node('web1', 'a'.repeat(64)));
      const at = '2026-01-01T00:00:00.000Z';
      const good = reportWrites('one');
      // The events and audit entry are written before the episode the store rejects (a kind is required).
      const bad = {
        ...good,
        episodes: [...good.episodes, { ...good.episodes[0], kind: null as unknown as string }],
      };
      await assert.rejects(store.applyNodeBatch('web1', 'b1', at, bad));
      assert.deepEqual(await store.listEvents({ runId: 'node:web1' }), []);
      assert.deepEqual(await store.listAudit(), []);
      assert.deepEqual(await store.listEpisodes(), []);
      assert.equal((await store.getNode('web1'))?.batches, 0);
      // A node that is not enrolled: refused, and nothing of the batch kept either.
      await assert.rejects(store.applyNodeBatch('web9', 'b1', at, good), { code: 'SETPOINT_NOT_FOUND' });
      assert.equal(await store.applyNodeBatch('web1', 'b1', at, good), 'applied');
      assert.deepEqual(
        (await store.listEvents({ runId: 'node:web1' })).map((e) => e.message),
        ['one'],
      );
      assert.deepEqual(
        (await store.listAudit()).map((a) => [a.seq, a.detail?.batch]),
        [[1, 'one']],
      );
      assert.equal((await store.verifyAudit()).ok, true);
      assert.equal((await store.listEpisodes()).length, 1);
      assert.equal((await store.getNode('web1'))?.batches, 1);
    });

    it("lists one node's events by their run id", async () => {
      const store = await open();
      const ev = (message: string, runId?: string) => ({
        time: '2026-01-01T00:00:00.000Z',
        type: 'Normal' as const,
        reason: 'Applied',
        message,
        resourceId: 'File/default/motd',
        ...(runId ? { runId } : {}),
      });
      await store.appendEvents([ev('server'), ev('on web1', 'node:web1'), ev('on web2', 'node:web2')]);
      assert.deepEqual(
        (await store.listEvents({ runId: 'node:web1' })).map((e) => e.message),
        ['on web1'],
      );
      assert.deepEqual(
        (await store.listEvents({ runId: 'node:web2', resourceId: 'File/default/motd' })).map(
          (e) => e.message,
        ),
        ['on web2'],
      );
    });
  });
}
