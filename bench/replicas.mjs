#!/usr/bin/env node
// `npm run bench:replicas`: N resources (default 100,000) of the recording
// fake provider (in-memory targets, no side effect; loaded as a plugin from
// the library, as a third-party kind is) under two `serve` replicas of one
// state, on SQLite and on PostgreSQL. Both replicas start at once; for each:
//   start-up  process start -> the leader's first full pass finished (every
//             resource reconciled: the in-memory targets start empty, so that
//             pass creates them all), or -> the follower answers /readyz ready;
//   RSS       after start-up (VmRSS) and its peak (VmHWM).
// Results: a section of bench/RESULTS.md. usage: node bench/replicas.mjs [N] [TTL=15s] [--store sqlite|postgres]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchPostgres } from './pg.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const N = Number(process.argv[2] ?? 100_000);
const TTL = process.argv[3] ?? '15s';
const work = '/tmp/spreplicas';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

function project(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  writeFileSync(
    join(dir, 'plugin.mjs'),
    `import { createRecordingFake } from '${pathToFileURL(join(root, 'dist', 'index.js')).href}';\nexport const providers = [createRecordingFake('Fake', { recordCalls: false })];\n`,
  );
  const docs = [];
  for (let i = 1; i <= N; i++) docs.push(`kind: Fake\nmetadata: { name: r${i} }\nspec: { value: ${i} }`);
  writeFileSync(join(dir, 'manifests', 'fake.yaml'), docs.join('\n---\n') + '\n');
  writeFileSync(
    join(dir, 'setpoint.yaml'),
    'plugins: [./plugin.mjs]\nreconcile: { resync: 1h, workers: 8, actionsPerSecond: 1000000, burst: 1000000 }\n',
  );
}

/** One replica: started at `started` (ms), its API URL once it listens. */
function replica(dir, name, state) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--listen', '127.0.0.1:0', '--lease-ttl', TTL, ...(state ? ['--state', state] : [])],
    {
      cwd: dir,
      env: { ...process.env, SETPOINT_REPLICA_ID: name, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const r = { name, child, started, stderr: '', gone: false };
  child.stderr.setEncoding('utf8').on('data', (s) => (r.stderr += s));
  child.on('close', () => (r.gone = true));
  return r;
}

async function readyz(r) {
  const url = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.stderr)?.[1];
  if (!url) return undefined;
  try {
    return await (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).json();
  } catch {
    return undefined;
  }
}

/** Waits for `cond` (async), failing when the replica exits or after `ms`. */
async function until(r, what, cond, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (r.gone) throw new Error(`${r.name} exited waiting for ${what}:\n${r.stderr.slice(-2000)}`);
    if (await cond()) return performance.now() - r.started;
    if (Date.now() > deadline) throw new Error(`${r.name}: timed out waiting for ${what}`);
    await sleep(50);
  }
}

const passFinished = (logFile) => () =>
  existsSync(logFile) && /"msg":"start-up finished"/.test(readFileSync(logFile, 'utf8'));

async function run(store, state) {
  const dir = join(work, store);
  project(dir);
  const log = join(dir, '.setpoint', 'setpoint.log');
  const a = replica(dir, 'a', state);
  const b = replica(dir, 'b', state);
  try {
    // Either may win the lease: the leader is the one that says so.
    let leader;
    await until(
      a,
      'a leader',
      async () => {
        for (const r of [a, b]) if ((await readyz(r))?.role === 'leader') leader = r;
        return leader !== undefined;
      },
      1_800_000,
    );
    const follower = leader === a ? b : a;
    // Both watched at once: the follower is usually ready long before the leader's pass ends.
    const followerReady = until(
      follower,
      'the follower to be ready',
      async () => {
        const s = await readyz(follower);
        return s?.ready === true && s.role === 'follower';
      },
      1_800_000,
    );
    const leaderMs = await until(leader, 'the first pass', passFinished(log), 1_800_000);
    const leaderMem = memory(leader.child.pid);
    const followerMs = await followerReady;
    // A settled follower: after the leader's pass (it may load the sources as well).
    await sleep(2000);
    const followerMem = memory(follower.child.pid);
    return { store, leaderMs, followerMs, leaderMem, followerMem };
  } finally {
    for (const r of [a, b]) if (!r.gone) r.child.kill('SIGKILL');
    await sleep(500);
  }
}

const started = new Date();
const loadAtStart = loadavg()[0].toFixed(1);
const results = [];
// --store postgres (or sqlite): one store only.
const storeAt = process.argv.indexOf('--store');
const only = storeAt >= 0 ? process.argv[storeAt + 1] : undefined;
if (only !== 'postgres') {
  results.push(await run('SQLite'));
  console.error(JSON.stringify(results.at(-1)));
}
const pg = only === 'sqlite' ? undefined : await benchPostgres();
if (pg)
  try {
    results.push(await run('PostgreSQL', pg.url));
    console.error(JSON.stringify(results.at(-1)));
  } finally {
    await pg.stop();
  }
rmSync(work, { recursive: true, force: true });

const s = (ms) => (ms / 1000).toFixed(1);
const mb = (v) => v.toFixed(0);
const lines = [
  '<!-- replicas -->',
  `## ${N.toLocaleString('en')} resources under two \`serve\` replicas`,
  '',
  `Measured ${started.toISOString()} with \`npm run bench:replicas\` (bench/replicas.mjs) on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.version}, load average ${loadAtStart} at the start (a machine shared with other work; one run per store). ${N.toLocaleString('en')} resources of the recording fake provider (in-memory targets, no side effect, loaded as a plugin), two replicas started at once on a fresh state; PostgreSQL 15 on the same host over TCP, default durability (fsync on). Start-up: process start to the leader's first full pass finished (the targets start empty, so that pass creates every resource and records it), or to the follower answering /readyz ready.`,
  '',
  '| store | leader start-up s | leader RSS MB (peak) | follower ready s | follower RSS MB (peak) |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...results.map(
    (r) =>
      `| ${r.store} | ${s(r.leaderMs)} | ${mb(r.leaderMem.rssMb)} (${mb(r.leaderMem.peakMb)}) | ${s(r.followerMs)} | ${mb(r.followerMem.rssMb)} (${mb(r.followerMem.peakMb)}) |`,
  ),
];
const resultsPath = join(root, 'bench', 'RESULTS.md');
const before = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const at = before.indexOf('<!-- replicas -->');
// Replace this section only (up to the next bench's marker), keeping the others.
const next = at >= 0 ? before.slice(at + 1).search(/^<!-- /m) : -1;
const head = (at >= 0 ? before.slice(0, at) : before).trimEnd();
const tail = next >= 0 ? `\n${before.slice(at + 1 + next)}` : '';
writeFileSync(resultsPath, `${head}\n\n${lines.join('\n')}\n${tail}`);
console.log(lines.join('\n'));
