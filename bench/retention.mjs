// Retention benchmark: does the state stay bounded under a week of serve at
// 10,000 resources? Simulates, hour by hour, a pessimistic week: every
// resource drifts and is repaired once an hour (an event and a drift episode
// each), 3 SLIs sampled every minute, 20 alert incidents resolved per hour,
// one run per hour — and prunes each hour as serve's retention job does,
// with `retention: { events: 1d, runs: 1d, alerts: 1d, sliSamples: 2d }` so
// the steady state is reached within the week. Prints the state file size
// per simulated day, with and without pruning. Needs `npm run build`.
// Usage: node bench/retention.mjs [resources=10000] [days=7]
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../dist/store/sqlite/index.js';

const N = Number(process.argv[2] ?? 10_000);
const DAYS = Number(process.argv[3] ?? 7);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const start = Date.parse('2026-01-01T00:00:00Z');

function size(path) {
  let total = 0;
  for (const f of [path, `${path}-wal`]) if (existsSync(f)) total += statSync(f).size;
  return total;
}

async function simulate(prune) {
  const dir = mkdtempSync(join(tmpdir(), 'setpoint-retention-'));
  const path = join(dir, 'state.db');
  const store = new SqliteStore(path);
  const perDay = [];
  const t0 = performance.now();
  let pruneMs = 0;
  for (let hour = 0; hour < DAYS * 24; hour++) {
    const now = start + hour * HOUR;
    const iso = new Date(now).toISOString();
    const events = [];
    for (let i = 0; i < N; i++)
      events.push({
        time: iso,
        type: i % 2 ? 'Normal' : 'Warning',
        reason: i % 2 ? 'Repaired' : 'DriftDetected',
        message: `File/default/r${i}: spec.content differs (1 field); repaired by serve`,
        resourceId: `File/default/r${i}`,
        revisionId: 'b5912b8c9045cbc4',
      });
    await store.appendEvents(events);
    for (let i = 0; i < N; i += 50)
      // episodes: 200 per hour (one per 50 resources)
      await store.openEpisode({
        resourceId: `File/default/r${i}`,
        kind: 'File',
        detectedAt: iso,
        recordedAt: iso,
      });
    const samples = [];
    for (const sli of ['reconcile', 'convergence', 'remediation'])
      for (let m = 0; m < 60; m++)
        samples.push({ sli, minute: Math.floor(now / 60_000) + m, good: 99, total: 100 });
    await store.addSliSamples(samples);
    const alerts = [];
    for (let a = 0; a < 20; a++)
      alerts.push({
        id: `${hour.toString(16).padStart(4, '0')}${a.toString(16).padStart(4, '0')}`,
        fingerprint: `fp${a}`,
        rule: 'DriftDetected',
        severity: 'ticket',
        state: 'resolved',
        labels: { alertname: 'DriftDetected', resource: `File/default/r${a}` },
        annotations: { summary: 'drift' },
        activeAt: iso,
        startsAt: iso,
        resolvedAt: iso,
        lastEvaluatedAt: iso,
      });
    await store.putAlerts(alerts);
    await store.putRun({
      id: `run${hour}`,
      command: 'serve',
      actor: 'serve',
      startedAt: iso,
      finishedAt: iso,
      result: 'succeeded',
      summary: { updated: N },
    });
    if (prune) {
      const p0 = performance.now();
      await store.prune({
        events: new Date(now - DAY).toISOString(),
        runs: new Date(now - DAY).toISOString(),
        alerts: new Date(now - DAY).toISOString(),
        sliMinute: Math.floor((now - 2 * DAY) / 60_000),
      });
      pruneMs += performance.now() - p0;
    }
    if ((hour + 1) % 24 === 0) {
      const events = (await store.listEvents({ limit: 1 })).length ? 'some' : 'none';
      perDay.push({ day: (hour + 1) / 24, bytes: size(path), events });
    }
  }
  const wallS = (performance.now() - t0) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { perDay, wallS, pruneMs };
}

const mb = (b) => (b / 1e6).toFixed(1);
const withPrune = await simulate(true);
const without = await simulate(false);
console.log(
  `Retention benchmark: ${N} resources, ${DAYS} simulated days, ${N} events/hour (${N * 24 * DAYS} in all)`,
);
console.log('| day | state MB, pruned hourly (events 1d) | state MB, never pruned |');
console.log('| --: | --: | --: |');
for (let i = 0; i < DAYS; i++)
  console.log(`| ${i + 1} | ${mb(withPrune.perDay[i].bytes)} | ${mb(without.perDay[i].bytes)} |`);
console.log(
  `\nwall: ${withPrune.wallS.toFixed(1)} s with pruning (of which prune ${(withPrune.pruneMs / 1000).toFixed(1)} s over ${DAYS * 24} prunes), ${without.wallS.toFixed(1)} s without`,
);
