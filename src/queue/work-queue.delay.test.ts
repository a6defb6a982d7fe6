/** Delayed and rate-limited adds, on real timers with short delays and generous bounds. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WorkQueue, type QueueItem } from './work-queue.js';

/** `get`, giving up after `ms` on a ref'd timer: the queue's own timers are unref'd and would not keep the test alive. */
async function getWithin<K extends string>(
  queue: WorkQueue<K>,
  ms: number,
): Promise<QueueItem<K> | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await queue.get(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

describe('WorkQueue.addAfter', () => {
  it('adds the key once the delay has passed, not before', async () => {
    const queue = new WorkQueue();
    const started = performance.now();
    queue.addAfter('a', 40);
    await sleep(10);
    assert.equal(queue.len(), 0);
    const item = await getWithin(queue, 2000);
    assert.equal(item?.key, 'a');
    assert.ok(performance.now() - started >= 35, 'arrived too early');
  });

  it('lets an earlier add replace a later pending one, so the key comes once', async () => {
    const queue = new WorkQueue();
    const started = performance.now();
    queue.addAfter('a', 150);
    queue.addAfter('a', 10);
    assert.equal((await getWithin(queue, 2000))?.key, 'a');
    assert.ok(performance.now() - started < 140, 'the earlier add should have won');
    queue.done('a');
    assert.equal(await getWithin(queue, 300), undefined, 'the later timer was cancelled');
  });

  it('does not postpone a pending add, and keeps the better priority of the two', async () => {
    const queue = new WorkQueue();
    const started = performance.now();
    queue.addAfter('a', 20, { priority: 5 });
    queue.addAfter('a', 400, { priority: 1 });
    const item = await getWithin(queue, 2000);
    assert.deepEqual(item && [item.key, item.priority], ['a', 1]);
    assert.ok(performance.now() - started < 300, 'the later add postponed the key');
  });

  it('adds at once for a delay of zero or less', () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 0);
    queue.addAfter('b', -5);
    assert.equal(queue.len(), 2);
  });

  it('marks a key dirty when its delayed add fires while it is processing', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    await queue.get();
    queue.addAfter('a', 10);
    await sleep(40);
    assert.equal(queue.len(), 0);
    queue.done('a');
    assert.equal(queue.len(), 1);
  });

  it('drops pending delayed adds on shutDown', async () => {
    const added: string[] = [];
    const queue = new WorkQueue({ onAdd: (key) => added.push(key) });
    queue.addAfter('a', 10);
    queue.shutDown();
    await sleep(40);
    assert.deepEqual(added, []);
  });

  it('does not keep the process alive for a pending delayed add', () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `import { WorkQueue } from ${JSON.stringify(index)}; new WorkQueue().addAfter('a', 60000);`;
    const started = performance.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 30_000,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(performance.now() - started < 25_000, 'the process waited for the timer');
  });
});

describe('WorkQueue.addRateLimited', () => {
  it('backs off exponentially per key up to the cap, and forget starts over', () => {
    const retries: Array<[string, number, number]> = [];
    const queue = new WorkQueue({
      baseDelayMs: 20,
      maxDelayMs: 80,
      jitter: 0,
      onRetry: (key, failures, delayMs) => retries.push([key, failures, delayMs]),
    });
    for (let i = 0; i < 4; i++) queue.addRateLimited('a');
    queue.addRateLimited('b');
    assert.deepEqual(retries, [
      ['a', 1, 20],
      ['a', 2, 40],
      ['a', 3, 80],
      ['a', 4, 80],
      ['b', 1, 20],
    ]);
    assert.equal(queue.failures('a'), 4);
    queue.forget('a');
    assert.equal(queue.failures('a'), 0);
    assert.equal(queue.failures('b'), 1);
    queue.addRateLimited('a');
    assert.deepEqual(retries.at(-1), ['a', 1, 20]);
    queue.shutDown();
  });

  it('jitters each retry within the configured fraction', () => {
    const delays: number[] = [];
    const queue = new WorkQueue({ baseDelayMs: 100, jitter: 0.5, onRetry: (_k, _f, ms) => delays.push(ms) });
    for (let i = 0; i < 200; i++) {
      queue.addRateLimited(`k${i}`);
    }
    queue.shutDown();
    assert.ok(
      delays.every((d) => d >= 50 && d <= 150),
      `out of bounds: ${delays.filter((d) => d < 50 || d > 150).join(', ')}`,
    );
    assert.ok(new Set(delays.map(Math.round)).size > 20, 'no spread');
  });

  it('delivers the key after its backoff', async () => {
    const queue = new WorkQueue({ baseDelayMs: 30, jitter: 0 });
    const started = performance.now();
    queue.addRateLimited('a');
    assert.equal(queue.len(), 0);
    assert.equal((await getWithin(queue, 2000))?.key, 'a');
    assert.ok(performance.now() - started >= 25, 'arrived before its backoff');
  });
});
