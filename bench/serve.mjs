#!/usr/bin/env node
// `npm run bench:serve`: setpoint serve under load.
//  1. N managed files (default 10,000): time to the first convergence.
//  2. CPU of serve over 10 s when nothing changes (no busy polling expected).
//  3. 100 files modified at random, one at a time: latency from the write to
//     the file repaired, measured from outside (a reader polling the file),
//     plus setpoint's own detection/remediation figures (status --json).
//  4. A full resync (`setpoint sync`): its duration, from serve's own log.
//  5. Peak RSS at N files, and at 100,000 resources of the recording fake
//     provider (a plugin), after convergence and one resync.
// Results: bench/SERVE.md. usage: node bench/serve.mjs [N] [FAKE_N]
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const N = Number(process.argv[2] ?? 10000);
const FAKE_N = Number(process.argv[3] ?? 100000);
const work = '/tmp/spserve';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const content = (i) => `serve bench file ${i}\nindex=${i}\nvalue=${(i * 7919) % 100003}\n`;

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = 100; // USER_HZ
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    cpuS: (Number(f[11]) + Number(f[12])) / ticks,
    rssMb: kb('VmRSS') / 1024,
    peakMb: kb('VmHWM') / 1024,
  };
}

// \`setpoint sync\` makes serve reload and look at every resource: a full pass,
// logged as "revision finished" (or "resync finished" when nothing was reloaded).
const PASS_AFTER_SYNC = /"msg":"(resync|revision) finished"/;

async function waitForLog(logFile, pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(logFile)) {
      const hit = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => pattern.test(l))
        .pop();
      if (hit) return JSON.parse(hit);
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${pattern} in ${logFile}`);
}

function startServe(dir, args) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', () => undefined);
  return child;
}

async function stopServe(child) {
  const t = performance.now();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return performance.now() - t;
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const fmt = (v, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));

async function filesRun() {
  const dir = join(work, `files-${N}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  const target = join(dir, 'files');
  const docs = [`kind: Directory\nmetadata: { name: files }\nspec: { path: ${target}, mode: "0755" }`];
  for (let i = 1; i <= N; i++)
    docs.push(
      `kind: File\nmetadata: { name: f${i} }\nspec:\n  path: ${target}/f${i}.txt\n  content: ${JSON.stringify(content(i))}\n  mode: "0644"`,
    );
  writeFileSync(join(dir, 'manifests', 'files.yaml'), docs.join('\n---\n') + '\n');
  writeFileSync(
    join(dir, 'setpoint.yaml'),
    'reconcile: { resync: 1h, workers: 8, actionsPerSecond: 100000, burst: 100000 }\n',
  );
  const log = join(dir, '.setpoint', 'setpoint.log');

  const t0 = performance.now();
  const child = startServe(dir, ['serve']);
  const startup = await waitForLog(log, /"start-up finished"/, 600_000);
  const convergeMs = performance.now() - t0;
  await sleep(1000);

  // Idle CPU: nothing changes for 10 s.
  const a = procStat(child.pid);
  await sleep(10_000);
  const b = procStat(child.pid);
  const idleCpuPct = ((b.cpuS - a.cpuS) / 10) * 100;

  // 100 random modifications, one at a time; the latency is write -> content restored.
  const latencies = [];
  for (let k = 0; k < 100; k++) {
    const i = 1 + Math.floor(Math.random() * N);
    const f = `${target}/f${i}.txt`;
    const want = content(i);
    writeFileSync(f, 'tampered\n');
    const t = performance.now();
    for (;;) {
      let now;
      try {
        now = readFileSync(f, 'utf8');
      } catch {
        now = '';
      }
      if (now === want) break;
      if (performance.now() - t > 30_000) throw new Error(`file ${f} not repaired within 30 s`);
      await new Promise((r) => setImmediate(r));
    }
    latencies.push(performance.now() - t);
    await sleep(20);
  }
  await sleep(500);
  const status = JSON.parse(
    execFileSync(process.execPath, [bin, 'status', '--json'], { cwd: dir, maxBuffer: 1 << 30 }).toString(),
  );

  // A full resync.
  execFileSync(process.execPath, [bin, 'sync'], { cwd: dir });
  const resync = await waitForLog(log, PASS_AFTER_SYNC, 600_000);
  const peak = procStat(child.pid);
  const stopMs = await stopServe(child);
  return { convergeMs, startup, idleCpuPct, latencies, status, resync, peak, stopMs };
}

async function fakeRun() {
  const dir = join(work, `fake-${FAKE_N}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  writeFileSync(
    join(dir, 'plugin.mjs'),
    `import { createRecordingFake } from '${pathToFileURL(join(root, 'dist', 'index.js')).href}';\nexport const providers = [createRecordingFake('Fake', { recordCalls: false })];\n`,
  );
  const docs = [];
  for (let i = 1; i <= FAKE_N; i++) docs.push(`kind: Fake\nmetadata: { name: r${i} }\nspec: { value: ${i} }`);
  writeFileSync(join(dir, 'manifests', 'fake.yaml'), docs.join('\n---\n') + '\n');
  writeFileSync(
    join(dir, 'setpoint.yaml'),
    'plugins: [./plugin.mjs]\nreconcile: { resync: 1h, workers: 8, actionsPerSecond: 1000000, burst: 1000000 }\n',
  );
  const log = join(dir, '.setpoint', 'setpoint.log');
  const t0 = performance.now();
  const child = startServe(dir, ['serve']);
  await waitForLog(log, /"start-up finished"/, 1_800_000);
  const convergeMs = performance.now() - t0;
  const afterStart = procStat(child.pid);
  execFileSync(process.execPath, [bin, 'sync'], { cwd: dir });
  const resync = await waitForLog(log, PASS_AFTER_SYNC, 1_800_000);
  const peak = procStat(child.pid);
  await stopServe(child);
  return { convergeMs, afterStart, resync, peak };
}

const started = new Date();
if (!existsSync(join(root, 'dist', 'bundle', 'setpoint.cjs')))
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
console.error(`serve benchmark: ${N} files, then ${FAKE_N} fake resources…`);
const f = await filesRun();
console.error('files done');
const k = FAKE_N > 0 ? await fakeRun() : undefined;
const conv = f.status.convergence;
const lines = [
  '# setpoint serve benchmark',
  '',
  `Measured ${started.toISOString()} with \`npm run bench:serve\` on ${execFileSync('nproc').toString().trim()} cores, ${process.version}. One run each; latency percentiles over 100 modifications.`,
  '',
  `## ${N} managed files`,
  '',
  '| figure | value |',
  '|---|---:|',
  `| start-up: serve started -> all ${N + 1} resources converged (files created) | ${fmt(f.convergeMs / 1000, 2)} s |`,
  `| CPU of serve over 10 s with nothing changing | ${fmt(f.idleCpuPct, 2)} % of one core |`,
  `| write -> file repaired, measured outside (p50 / p95 / p99) | ${fmt(pct(f.latencies, 0.5))} / ${fmt(pct(f.latencies, 0.95))} / ${fmt(pct(f.latencies, 0.99))} ms |`,
  `| detection, setpoint's own (watch event -> drift recorded; p50 / p95 / p99) | ${fmt(conv.detectionMs.p50)} / ${fmt(conv.detectionMs.p95)} / ${fmt(conv.detectionMs.p99)} ms |`,
  `| remediation, setpoint's own (drift recorded -> fix done; p50 / p95 / p99) | ${fmt(conv.remediationMs.p50)} / ${fmt(conv.remediationMs.p95)} / ${fmt(conv.remediationMs.p99)} ms |`,
  `| auto-remediated drift episodes | ${conv.driftEpisodes} (${fmt((conv.autoRemediationRatio ?? 0) * 100, 0)} %) |`,
  `| full resync of ${N + 1} resources (\`setpoint sync\`) | ${fmt(f.resync.durationMs / 1000, 2)} s |`,
  `| peak RSS of serve | ${fmt(f.peak.peakMb)} MB |`,
  `| graceful stop (SIGTERM -> exit) | ${fmt(f.stopMs, 0)} ms |`,
];
if (k)
  lines.push(
    '',
    `## ${FAKE_N} resources of the recording fake provider (in-memory targets)`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| start-up to converged | ${fmt(k.convergeMs / 1000, 2)} s |`,
    `| RSS after start-up | ${fmt(k.afterStart.rssMb)} MB |`,
    `| full resync | ${fmt(k.resync.durationMs / 1000, 2)} s |`,
    `| peak RSS (start-up + resync) | ${fmt(k.peak.peakMb)} MB |`,
  );
lines.push(
  '',
  'For comparison, the peers notice drift only on their next run: Argo CD refreshes every 3 minutes by default, CFEngine runs every 5 minutes, Puppet every 30 minutes.',
);
writeFileSync(join(root, 'bench', 'SERVE.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
