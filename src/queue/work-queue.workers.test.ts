/**
 * The queue under load: several async workers and a producer interleaved on
 * the event loop. No key may be held by two workers at once, and every key
 * added after its last processing started must be processed again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { WorkQueue } from './work-queue.js';

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WorkQueue with many workers', () => {
  for (const seed of [1, 2, 3]) {
    // The timeout turns a queue that loops forever (a dirty mark never cleared) into a failure; its
    // signal then stops the workers and the producer, so the file still ends.
    it(
      `never hands a key to two workers and re-processes every late add (seed ${seed})`,
      { timeout: 20_000 },
      async (t) => {
        const random = prng(seed);
        const queue = new WorkQueue();
        const keys = Array.from({ length: 50 }, (_, i) => `Service/default/s${i}`);
        const holding = new Set<string>();
        const lastAdd = new Map<string, number>();
        const lastStart = new Map<string, number>();
        let clock = 0;
        let overlaps = 0;
        let runs = 0;

        const worker = async () => {
          for (;;) {
            const item = await queue.get(t.signal);
            if (!item) return;
            if (holding.has(item.key)) overlaps++;
            holding.add(item.key);
            lastStart.set(item.key, ++clock);
            runs++;
            // Hold the key across a few turns of the event loop, so adds land while it is processing.
            const turns = Math.floor(random() * 4);
            for (let i = 0; i < turns; i++) await turn();
            holding.delete(item.key);
            queue.done(item.key);
          }
        };
        const workers = Array.from({ length: 4 }, worker);

        for (let i = 0; i < 10_000 && !t.signal.aborted; i++) {
          const key = keys[Math.floor(random() * keys.length)];
          lastAdd.set(key, ++clock);
          queue.add(key, { priority: Math.floor(random() * 3) });
          if (random() < 0.2) await turn();
        }
        while (queue.len() + queue.processing() > 0 && !t.signal.aborted) await turn();
        queue.shutDown();
        await Promise.all(workers);

        assert.equal(overlaps, 0, 'a key was processed by two workers at once');
        for (const [key, addedAt] of lastAdd) {
          const startedAt = lastStart.get(key) ?? 0;
          assert.ok(startedAt > addedAt, `${key} was added at ${addedAt} but last started at ${startedAt}`);
        }
        assert.ok(runs >= keys.length && runs < 10_000, `${runs} runs: adds should coalesce`);
      },
    );
  }
});
