#!/usr/bin/env node
// Micro benchmark of the work queue: add, get and done for 100,000 keys, with
// and without priorities and coalescing, and 8 concurrent async workers.
// usage: node --import tsx bench/queue.bench.mjs [keys]
import { WorkQueue } from '../src/queue/index.ts';

const n = Number(process.argv[2] ?? 100_000);
const keys = Array.from({ length: n }, (_, i) => `File/default/f${i}`);

async function run(label, fill, workers = 1) {
  const queue = new WorkQueue();
  const started = performance.now();
  fill(queue);
  let served = 0;
  const worker = async () => {
    for (;;) {
      const item = queue.len() > 0 ? await queue.get() : undefined;
      if (!item) return;
      served++;
      queue.done(item.key);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const ms = performance.now() - started;
  console.log(
    `${label.padEnd(44)} ${served} served  ${ms.toFixed(1).padStart(8)} ms  ${Math.round((served / ms) * 1000)
      .toLocaleString('en')
      .padStart(11)} keys/s`,
  );
}

await run('add+get+done, one priority', (q) => keys.forEach((k) => q.add(k)));
await run('add+get+done, 10 priorities', (q) => keys.forEach((k, i) => q.add(k, { priority: i % 10 })));
await run('4 adds per key (coalesced)', (q) => {
  for (let r = 0; r < 4; r++) keys.forEach((k, i) => q.add(k, { priority: (i + r) % 5 }));
});
await run('add+get+done, 8 async workers', (q) => keys.forEach((k) => q.add(k)), 8);
