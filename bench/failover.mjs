#!/usr/bin/env node
// `npm run bench:failover`: how long several `setpoint serve` replicas on one
// state take to act again once their leader is gone.
//
// Three replicas serve a project of N managed files (default 1,000). Each
// trial stops the leader, deletes one managed file at once, and measures the
// time from the stop to the file being back: the new leader has taken the
// lease, recovered, loaded the sources and done its first action. Two ways
// to lose the leader:
//   kill -9  the process is gone on this host: a follower sees the holder's
//            pid is gone and takes the lease at once.
//   SIGSTOP  the leader hangs (or its host is lost): the lease must expire
//            first, so failover is about TTL + the follower's retry + start-up.
// A killed or frozen replica is replaced by a new one after each trial, so
// three replicas run throughout. Results: a section of bench/RESULTS.md
// (one per store).
// usage: node bench/failover.mjs [--store sqlite|postgres] [TRIALS=20] [N=1000] [TTL=5s]
// --store postgres: the replicas share a PostgreSQL state (bench/pg.mjs: a
// throwaway PostgreSQL 15, or $SETPOINT_BENCH_PG_URL) instead of one SQLite file.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPostgres } from './pg.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const argv = process.argv.slice(2);
const storeAt = argv.indexOf('--store');
const STORE = storeAt >= 0 ? argv.splice(storeAt, 2)[1] : 'sqlite';
if (STORE !== 'sqlite' && STORE !== 'postgres') throw new Error(`--store sqlite or postgres, not ${STORE}`);
const TRIALS = Number(argv[0] ?? 20);
const N = Number(argv[1] ?? 1000);
const TTL = argv[2] ?? '5s';
const TTL_MS = Number(/^(\d+)s$/.exec(TTL)?.[1] ?? 5) * 1000;
const work = `/tmp/spfailover-${STORE}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function setup() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'manifests'), { recursive: true });
  mkdirSync(join(work, 'out'), { recursive: true });
  writeFileSync(
    join(work, 'setpoint.yaml'),
    'reconcile:\n  resync: 10m\n  actionsPerSecond: 5000\n  burst: 5000\n',
  );
  const docs = [];
  for (let i = 0; i < N; i++)
    docs.push(
      `kind: File\nmetadata: { name: f${i} }\nspec: { path: ${work}/out/f${i}.txt, content: "file ${i}\\n" }\n`,
    );
  writeFileSync(join(work, 'manifests', 'files.yaml'), docs.join('---\n'));
}

let seq = 0;
/** One replica: its pid, API URL and whether it exited. */
async function replica() {
  const name = `r${seq++}`;
  const state = pg ? ['--state', pg.url] : [];
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--listen', '127.0.0.1:0', '--lease-ttl', TTL, ...state],
    {
      cwd: work,
      env: { ...process.env, SETPOINT_REPLICA_ID: name, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
  const r = { name, child, url: '', gone: false };
  child.on('close', () => (r.gone = true));
  const deadline = Date.now() + 60_000;
  while (!r.url) {
    const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
    if (m) r.url = m[1];
    else if (r.gone || Date.now() > deadline) throw new Error(`replica ${name} did not start:\n${stderr}`);
    else await sleep(20);
  }
  return r;
}

async function role(r) {
  try {
    const res = await fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(1000) });
    return await res.json();
  } catch {
    return undefined;
  }
}

async function leader(replicas) {
  for (;;) {
    for (const r of replicas) {
      const s = await role(r);
      if (s?.role === 'leader' && s.ready) return r;
    }
    await sleep(50);
  }
}

async function until(cond, ms) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(2);
  }
}

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function trials(mode, replicas) {
  const took = [];
  for (let t = 0; t < TRIALS; t++) {
    const old = await leader(replicas);
    // Everything converged before the next failure.
    await until(() => existsSync(join(work, 'out', `f${N - 1}.txt`)), 120_000);
    const victim = join(work, 'out', `f${(t * 37) % N}.txt`);
    const stoppedAt = performance.now();
    old.child.kill(mode === 'kill -9' ? 'SIGKILL' : 'SIGSTOP');
    unlinkSync(victim);
    await until(() => existsSync(victim), TTL_MS + 60_000);
    took.push(performance.now() - stoppedAt);
    if (mode === 'SIGSTOP') {
      old.child.kill('SIGCONT');
      old.child.kill('SIGKILL');
    }
    await until(() => old.gone, 10_000);
    replicas.splice(replicas.indexOf(old), 1);
    replicas.push(await replica());
    process.stderr.write(`${mode} trial ${t + 1}: ${took.at(-1).toFixed(0)} ms\n`);
  }
  return took;
}

setup();
const loadAtStart = loadavg()[0].toFixed(1);
const pg = STORE === 'postgres' ? await benchPostgres() : undefined;
const results = [];
try {
  const replicas = [await replica(), await replica(), await replica()];
  try {
    for (const mode of ['kill -9', 'SIGSTOP']) results.push({ mode, took: await trials(mode, replicas) });
  } finally {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => until(() => r.gone, 10_000).catch(() => undefined)));
  }
} finally {
  await pg?.stop();
}

const f = (ms) => (ms / 1000).toFixed(2);
const marker = STORE === 'postgres' ? '<!-- failover-postgres -->' : '<!-- failover -->';
const lines = [
  marker,
  STORE === 'postgres'
    ? '## Failover: several `serve` replicas on one PostgreSQL state'
    : '## Failover: several `serve` replicas on one state',
  '',
  `Measured ${new Date().toISOString()} with \`npm run bench:failover${STORE === 'postgres' ? ' -- --store postgres' : ''}\` (bench/failover.mjs) on ${cpus().length} cores, ${process.version}, load average ${loadAtStart} at the start (a machine shared with other work); ${STORE === 'postgres' ? 'PostgreSQL 15 state on the same host over TCP, default durability (fsync on)' : 'SQLite state (the replicas share one state file on one host)'}. Three replicas, ${N} managed files, lease TTL ${TTL}, ${TRIALS} trials per row: the time from the leader's stop to the first action of the new leader (a deleted managed file recreated).`,
  '',
  '| leader lost by | trials | p50 s | p95 s | max s | target p95 <= TTL + 2 s |',
  '| -------------- | -----: | ----: | ----: | ----: | ----------------------- |',
  ...results.map(
    ({ mode, took }) =>
      `| ${mode} | ${took.length} | ${f(pct(took, 50))} | ${f(pct(took, 95))} | ${f(Math.max(...took))} | ${pct(took, 95) <= TTL_MS + 2000 ? 'met' : 'not met'} (${f(TTL_MS + 2000)} s) |`,
  ),
  '',
  'kill -9: the holder is on this host and its pid is gone, so a follower takes the lease at once (its next try, every 500 ms at most). SIGSTOP: a hung leader (or a lost host) keeps its pid, so the lease must expire first (followers also try at the moment it expires).',
];
const resultsPath = join(root, 'bench', 'RESULTS.md');
const before = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const at = before.indexOf(marker);
// Replace this section only (up to the next bench's marker), keeping the others.
const next = at >= 0 ? before.slice(at + 1).search(/^<!-- /m) : -1;
const head = (at >= 0 ? before.slice(0, at) : before).trimEnd();
const tail = next >= 0 ? `\n${before.slice(at + 1 + next)}` : '';
writeFileSync(resultsPath, `${head}\n\n${lines.join('\n')}\n${tail}`);
console.log(lines.join('\n'));
