#!/usr/bin/env node
// A small HTTP load generator for bench/api.mjs, run as its own process.
// Open loop (`rate` > 0): request i is due at start + i/rate whatever the
// answers do, and its latency counts from when it was due, so a slow server
// cannot hide its queueing (no coordinated omission). Closed loop (rate 0):
// `connections` requests in flight back to back, for capacity.
// usage: node bench/load.mjs '<json options>' -> prints a JSON summary.
//   {url, token, path | pathTemplate + count, rate, connections, durationMs}
import http from 'node:http';

const o = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections ?? 8 });
const target = new URL(o.url);
const latencies = [];
const statuses = {};
let bytes = 0;
let errors = 0;
let sent = 0;

function pathFor() {
  if (!o.pathTemplate) return o.path;
  return o.pathTemplate.replace('{i}', String(1 + Math.floor(Math.random() * o.count)));
}

function once(due) {
  sent++;
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: pathFor(),
        agent,
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      },
      (res) => {
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          latencies.push(performance.now() - due);
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end();
  });
}

const start = performance.now();
const end = start + o.durationMs;
const inflight = new Set();
if (o.rate > 0) {
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (start + (i * 1000) / o.rate <= now && start + (i * 1000) / o.rate < end) {
        const p = once(start + (i * 1000) / o.rate);
        inflight.add(p);
        void p.then(() => inflight.delete(p));
        i++;
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
} else {
  const worker = async () => {
    while (performance.now() < end) await once(performance.now());
  };
  await Promise.all(Array.from({ length: o.connections ?? 8 }, worker));
}
await Promise.all(inflight);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
agent.destroy();
console.log(
  JSON.stringify({
    sent,
    done: latencies.length,
    errors,
    statuses,
    seconds: elapsed,
    throughput: latencies.length / elapsed,
    mbPerSecond: bytes / elapsed / 1e6,
    bytesPerResponse: latencies.length ? bytes / latencies.length : 0,
    latencyMs: {
      p50: pct(0.5),
      p90: pct(0.9),
      p99: pct(0.99),
      max: latencies[latencies.length - 1],
      mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
    },
  }),
);
