#!/usr/bin/env node
// `node bench/webserver.mjs [runs]` (run `npm run build` first): the webserver
// example (examples/webserver) in a temp copy, its variables pointing into a
// temp folder. One apply converges it (the Package too when running as root
// with apt, otherwise that manifest is left out), then each run times a no-op
// `setpoint apply` and a `setpoint plan` of the converged example: the whole
// CLI, start-up included. Prints a Markdown table (paste into bench/RESULTS.md),
// then prunes what it made. Package installs, batched against one by one, are
// measured by bench/packages.mjs.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const RUNS = Number(process.argv[2] ?? 11);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => s.toFixed(3);

const work = mkdtempSync(join(tmpdir(), 'spbench-web-'));
const project = join(work, 'project');
cpSync(join(root, 'examples', 'webserver'), project, { recursive: true });
const apt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!apt) rmSync(join(project, 'manifests', '10-package.yaml'));
mkdirSync(join(work, 'etc'));
writeFileSync(join(work, 'etc', 'hosts'), '127.0.0.1 localhost\n');
const env = {
  ...process.env,
  NO_COLOR: '1',
  SETPOINT_VAR_root: join(work, 'srv'),
  SETPOINT_VAR_etc: join(work, 'etc'),
  SETPOINT_VAR_port: String(20_000 + Math.floor(Math.random() * 20_000)),
};

function cli(args, expectCode = 0, where = ['-C', project]) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args, ...where], { env, encoding: 'utf8' });
  const s = (performance.now() - started) / 1000;
  if (r.status !== expectCode)
    throw new Error(`setpoint ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return { s, stdout: r.stdout };
}

try {
  cli(['apply', '--yes']);
  const applies = [];
  const plans = [];
  const startups = [];
  const floors = [];
  for (let i = 0; i < RUNS; i++) {
    const a = cli(['apply', '--yes']);
    if (!/changed: 0 /.test(a.stdout)) throw new Error(`not a no-op:\n${a.stdout}`);
    applies.push(a.s);
    plans.push(cli(['plan', '--detailed-exitcode']).s);
    startups.push(cli(['--version'], 0, []).s);
    // The floor: Node starting and exiting with no code, in the same conditions.
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    floors.push((performance.now() - started) / 1000);
  }
  const resources = apt ? 7 : 6;
  const rows = [
    [
      `\`setpoint apply\`, no-op, ${resources} resources${apt ? '' : ' (no Package: not root with apt)'}`,
      applies,
    ],
    [`\`setpoint plan\`, in sync, ${resources} resources`, plans],
    ['`setpoint --version` (start-up only, for scale)', startups],
    ['`node -e 0` (the floor: Node alone)', floors],
  ];
  console.log(
    `Measured ${new Date().toISOString().slice(0, 19)}Z with \`node bench/webserver.mjs ${RUNS}\` (${RUNS} runs, medians; Node ${process.version}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores).\n`,
  );
  console.log('| what | median s | min s | max s |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [what, xs] of rows)
    console.log(`| ${what} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`);
  console.log(
    `\nNo-op apply ÷ floor: ${(median(applies) / median(floors)).toFixed(1)}×; \`--version\` ÷ floor: ${(median(startups) / median(floors)).toFixed(1)}×.`,
  );
} finally {
  // Prune everything the example made (the server, the line, the package).
  const off = join(work, 'off');
  mkdirSync(off);
  for (const f of readdirSync(join(project, 'manifests')))
    renameSync(join(project, 'manifests', f), join(off, f));
  cli(['apply', '--prune', '--yes']);
  rmSync(work, { recursive: true, force: true });
}
