#!/usr/bin/env node
// Rollback time of a Process update: a 2-replica HTTP Process is changed to a
// command that never becomes ready; measured from the failed readiness (the
// RolloutStalled event) to the previous spec converged and ready again (the
// RolledBack event, written once the rolled-back replica passed readiness).
// N trials (BENCH_TRIALS, default 5), median. Needs `npm run build` first.
// Usage: node bench/process-rollout.mjs [--record]  (--record writes bench/RESULTS.md)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'setpoint.js');
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);

const SERVER = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[2]), '127.0.0.1');\n`;
const SILENT = 'setInterval(() => {}, 1000);\n';

function manifest(dir, script, port) {
  return `kind: Process
metadata: { name: web }
spec:
  command: ${process.execPath}
  args: [${join(dir, script)}, '\${replica+${port}}']
  cwd: ${dir}
  replicas: 2
  gracePeriod: 1s
  readiness: { http: { url: 'http://127.0.0.1:\${replica+${port}}/' }, period: 100ms, timeout: 300ms }
  rollingUpdate: { progressDeadline: 1s }
`;
}

function run(dir, args) {
  return spawnSync(process.execPath, [BIN, ...args, '--state', join(dir, 'state.db')], {
    cwd: dir,
    encoding: 'utf8',
  });
}

/** Kills, by pid, the replicas this trial started (their argv names a script in its folder). */
function killReplicas(dir) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(dir))
        process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function trial(i) {
  const dir = mkdtempSync(join(tmpdir(), 'setpoint-bench-rollout-'));
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  mkdirSync(join(dir, 'm'));
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'silent.js'), SILENT);
  try {
    writeFileSync(join(dir, 'm', 'web.yaml'), manifest(dir, 'server.js', port));
    if (run(dir, ['apply', '-f', 'm', '--yes']).status !== 0)
      throw new Error(`trial ${i}: the first apply failed`);
    writeFileSync(join(dir, 'm', 'web.yaml'), manifest(dir, 'silent.js', port));
    const broken = run(dir, ['apply', '-f', 'm', '--yes']);
    if (broken.status !== 1) throw new Error(`trial ${i}: the broken apply exited ${broken.status}`);
    const events = JSON.parse(run(dir, ['events', 'Process/default/web', '--json', '-n', '200']).stdout);
    const at = (reason) => Date.parse(events.find((e) => e.reason === reason).time);
    return (at('RolledBack') - at('RolloutStalled')) / 1000;
  } finally {
    killReplicas(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = [];
for (let i = 0; i < TRIALS; i++) seconds.push(trial(i));
const sorted = [...seconds].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const summary = `Measured ${new Date().toISOString()} with \`node bench/process-rollout.mjs\` (${TRIALS} trials, 2 replicas, readiness period 100ms, progressDeadline 1s; machine: ${(await import('node:os')).cpus().length} cores, ${process.version}).

| measure | trials (s) | median s | target | met |
| --- | --- | ---: | --- | --- |
| failed readiness -> previous spec converged and ready | ${seconds.map((s) => s.toFixed(3)).join(', ')} | ${median.toFixed(3)} | <= 5 s | ${median <= 5 ? 'yes' : 'no'} |
`;
console.log(summary);
if (process.argv.includes('--record')) {
  const path = join(ROOT, 'bench', 'RESULTS.md');
  const text = readFileSync(path, 'utf8');
  const section = `<!-- process-rollout -->\n## Process rollback time\n\n${summary}<!-- /process-rollout -->\n`;
  const re = /<!-- process-rollout -->[\s\S]*?<!-- \/process-rollout -->\n/;
  writeFileSync(path, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}`);
}
