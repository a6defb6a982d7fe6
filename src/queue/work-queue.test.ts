/**
 * The work queue's contract without timing: coalescing, the dirty re-add,
 * priorities, FIFO, shutDown, drain, abort signals, hooks and refused input.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { QueueError } from './errors.js';
import type { AddOutcome } from './options.js';
import { WorkQueue, type QueueItem } from './work-queue.js';

/** `get`, giving up after `ms` on a ref'd timer (so a test waiting on it keeps the process alive). */
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

/** Gets and finishes everything queued, returning the keys in the order served. */
async function takeAll<K extends string>(queue: WorkQueue<K>): Promise<K[]> {
  const keys: K[] = [];
  while (queue.len() > 0) {
    const item = await queue.get();
    assert.ok(item);
    keys.push(item.key);
    queue.done(item.key);
  }
  return keys;
}

describe('WorkQueue: coalescing and the dirty re-add', () => {
  it('holds a key added many times while queued once', async () => {
    const queue = new WorkQueue();
    for (let i = 0; i < 5; i++) queue.add('File/default/motd');
    queue.add('File/default/hosts');
    assert.equal(queue.len(), 2);
    assert.deepEqual(await takeAll(queue), ['File/default/motd', 'File/default/hosts']);
    assert.equal(await getWithin(queue, 20), undefined);
  });

  it('keeps the better priority when a queued key is added again, and never demotes it', async () => {
    const queue = new WorkQueue();
    queue.add('a', { priority: 5 });
    queue.add('b', { priority: 3 });
    queue.add('c', { priority: 1 });
    queue.add('a', { priority: 0 });
    queue.add('c', { priority: 9 });
    assert.equal(queue.len(), 3);
    const first = await queue.get();
    assert.deepEqual(first && [first.key, first.priority], ['a', 0]);
    queue.done('a');
    assert.deepEqual(await takeAll(queue), ['c', 'b']);
  });

  it('re-queues a key added while processing exactly once, on done, with the best priority', async () => {
    const queue = new WorkQueue();
    queue.add('a', { priority: 4 });
    const item = await queue.get();
    assert.equal(item?.key, 'a');
    queue.add('a', { priority: 5 });
    queue.add('a', { priority: 2 });
    queue.add('a', { priority: 7 });
    assert.equal(queue.len(), 0, 'not queued while processing');
    assert.equal(await getWithin(queue, 20), undefined, 'not handed to a second worker');
    queue.done('a');
    assert.equal(queue.len(), 1);
    const again = await queue.get();
    assert.deepEqual(again && [again.key, again.priority], ['a', 2]);
    queue.done('a');
    assert.equal(queue.len(), 0);
    assert.equal(await getWithin(queue, 20), undefined, 'the three adds made one re-run');
  });

  it('does not re-queue a key that was not added while processing', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    await queue.get();
    queue.done('a');
    queue.done('a');
    assert.equal(queue.len(), 0);
    assert.equal(queue.processing(), 0);
  });
});

describe('WorkQueue: order', () => {
  it('serves lower priority numbers first', async () => {
    const queue = new WorkQueue();
    const priorities = [3, -1, 7, 0, 2, 2.5, -10, 100];
    priorities.forEach((priority) => queue.add(`p${priority}`, { priority }));
    const order = (await takeAll(queue)).map((k) => Number(k.slice(1)));
    assert.deepEqual(
      order,
      [...priorities].sort((a, b) => a - b),
    );
  });

  it('serves keys of one priority in the order they were added', async () => {
    const queue = new WorkQueue();
    const keys = Array.from({ length: 200 }, (_, i) => `k${(i * 37) % 200}`);
    for (const key of keys) queue.add(key, { priority: 1 });
    queue.add('urgent', { priority: 0 });
    queue.add('later', { priority: 2 });
    assert.deepEqual(await takeAll(queue), ['urgent', ...keys, 'later']);
  });

  it('defaults to priority 0 and reports each item with its priority and wait', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const item = await queue.get();
    assert.equal(item?.priority, 0);
    assert.ok(item && item.waitedMs >= 0);
  });

  it('hands keys to waiting workers in the order the workers asked', async () => {
    const queue = new WorkQueue();
    const served: string[] = [];
    const workers = ['w1', 'w2', 'w3'].map(async (name) => {
      const item = await queue.get();
      served.push(`${name}:${item?.key}`);
    });
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await Promise.all(workers);
    assert.deepEqual(served, ['w1:a', 'w2:b', 'w3:c']);
    assert.equal(queue.processing(), 3);
  });
});

describe('WorkQueue: shutDown and drain', () => {
  it('releases waiting getters, drops queued keys and ignores later adds', async () => {
    const queue = new WorkQueue();
    const waiting = [queue.get(), queue.get()];
    queue.shutDown();
    assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);

    const other = new WorkQueue();
    other.add('a');
    other.add('b');
    other.addAfter('c', 5);
    other.shutDown();
    assert.equal(other.len(), 0);
    other.add('d');
    assert.equal(other.len(), 0);
    assert.equal(await other.get(), undefined);
    assert.ok(other.isShuttingDown());
  });

  it('drain waits for keys in flight, does not re-queue dirty ones, and stops new work', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    const a = await queue.get();
    const b = await queue.get();
    queue.add('a');
    let drained = false;
    const draining = queue.drain().then(() => (drained = true));
    assert.equal(await queue.get(), undefined, 'no work is taken once draining');
    assert.equal(queue.len(), 0, 'queued keys are dropped');
    queue.done(a?.key ?? '');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(drained, false, 'b is still in flight');
    assert.equal(queue.len(), 0, 'the dirty key is not re-queued');
    queue.done(b?.key ?? '');
    await draining;
    assert.equal(drained, true);
    assert.equal(queue.processing(), 0);
  });

  it('drain resolves at once when idle, and at the deadline when work hangs', async () => {
    await new WorkQueue().drain();
    const queue = new WorkQueue();
    queue.add('stuck');
    await queue.get();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20);
    await queue.drain(controller.signal);
    clearTimeout(timer);
    assert.equal(queue.processing(), 1, 'gave up waiting; the caller can see what hangs');
  });
});

describe('WorkQueue: abort signals', () => {
  it('resolves a waiting get undefined on abort, and hands the next key to another worker', async () => {
    const queue = new WorkQueue();
    const controller = new AbortController();
    const aborted = queue.get(controller.signal);
    const patient = queue.get();
    controller.abort();
    assert.equal(await aborted, undefined);
    queue.add('a');
    assert.equal((await patient)?.key, 'a', 'the key went to the live waiter, not the aborted one');
    assert.equal(queue.processing(), 1);
  });

  it('returns undefined at once for an already aborted signal and takes nothing', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    assert.equal(await queue.get(AbortSignal.abort()), undefined);
    assert.equal(queue.len(), 1);
  });

  it('does not pile up abort listeners on a long-lived signal', async () => {
    const queue = new WorkQueue();
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const next = queue.get(controller.signal);
      queue.add(`k${i}`);
      queue.done((await next)?.key ?? '');
    }
    const stillWaiting = queue.get(controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1, 'only the pending get listens');
    controller.abort();
    assert.equal(await stillWaiting, undefined);
  });
});

describe('WorkQueue: hooks and refused input', () => {
  it('reports adds with their outcome, gets with the wait and dones with the work time', async () => {
    const events: string[] = [];
    const queue = new WorkQueue({
      onAdd: (key, priority, outcome: AddOutcome) => events.push(`add ${key} ${priority} ${outcome}`),
      onGet: (key, waitedMs) => events.push(`get ${key} ${waitedMs >= 0}`),
      onDone: (key, workedMs) => events.push(`done ${key} ${workedMs >= 0}`),
    });
    queue.add('a', { priority: 1 });
    queue.add('a');
    await queue.get();
    queue.add('a', { priority: 3 });
    queue.add('a');
    queue.done('a');
    assert.deepEqual(events, [
      'add a 1 queued',
      'add a 0 coalesced',
      'get a true',
      'add a 3 dirty',
      'add a 0 coalesced',
      'done a true',
    ]);
  });

  it('measures the wait and the work with the given clock', async () => {
    let clock = 1000;
    const waits: number[] = [];
    const works: number[] = [];
    const queue = new WorkQueue({
      now: () => clock,
      onGet: (_k, ms) => waits.push(ms),
      onDone: (_k, ms) => works.push(ms),
    });
    queue.add('a');
    clock += 250;
    const item = await queue.get();
    clock += 40;
    queue.done('a');
    assert.equal(item?.waitedMs, 250);
    assert.deepEqual([waits, works], [[250], [40]]);
  });

  it('survives a throwing hook: the key is still handed out and a warning is emitted', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const queue = new WorkQueue({
      onGet: () => {
        throw new Error('metrics exploded');
      },
    });
    const waiting = queue.get();
    queue.add('a');
    assert.equal((await waiting)?.key, 'a');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.equal(warnings.length, 1);
    assert.ok(
      warnings[0] instanceof QueueError &&
        warnings[0].code === 'SETPOINT_QUEUE_HOOK_FAILED' &&
        warnings[0].key === 'a',
    );
  });

  it('refuses a priority or delay that is not a number, naming the key', () => {
    const queue = new WorkQueue();
    for (const act of [
      () => queue.add('a', { priority: Number.NaN }),
      () => queue.add('a', { priority: Infinity }),
      () => queue.addAfter('a', Number.NaN),
    ]) {
      assert.throws(
        act,
        (err: unknown) =>
          err instanceof QueueError && err.code === 'SETPOINT_QUEUE_INVALID_ARGUMENT' && err.key === 'a',
      );
    }
    assert.equal(queue.len(), 0);
    assert.throws(() => new WorkQueue({ jitter: -0.1 }), QueueError);
  });
});
