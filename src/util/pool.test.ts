/** mapLimit: results in input order, never more than `limit` tasks in flight. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from './pool.js';

describe('mapLimit', () => {
  it('keeps results in input order whatever order tasks finish in', async () => {
    const delays = [30, 5, 20, 1, 10];
    const out = await mapLimit(delays, 3, async (d, i) => {
      await sleep(d);
      return `${i}:${d}`;
    });
    assert.deepEqual(out, ['0:30', '1:5', '2:20', '3:1', '4:10']);
  });

  it('never runs more than `limit` at once, and reaches the limit', async () => {
    let inFlight = 0;
    let max = 0;
    await mapLimit(
      Array.from({ length: 30 }, (_, i) => i),
      4,
      async (i) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await sleep(1 + (i % 5));
        inFlight--;
      },
    );
    assert.equal(max, 4);
  });

  it('runs one at a time with a limit of 1, or of 0 or less', async () => {
    for (const limit of [1, 0, -3]) {
      const log: string[] = [];
      await mapLimit(['a', 'b', 'c'], limit, async (x) => {
        log.push(`start ${x}`);
        await sleep(1);
        log.push(`end ${x}`);
      });
      assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c'], `limit ${limit}`);
    }
  });

  it('returns an empty list for no items without calling the task', async () => {
    assert.deepEqual(await mapLimit([], 8, () => Promise.reject(new Error('called'))), []);
  });

  it('rejects with the first error', async () => {
    await assert.rejects(
      mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('task 2 failed');
        return n;
      }),
      /task 2 failed/,
    );
  });
});
