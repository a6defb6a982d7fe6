/** Policy violation rows in a real SQLite file: append, filter, newest first, totals per policy and action. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import type { ViolationRecord } from '../violations.js';
import { SqliteStore } from './index.js';

const store = new SqliteStore(join(tempDir(), 'state.db'));
after(() => store.close());

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

describe('policy violations in SQLite', () => {
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
