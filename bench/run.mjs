#!/usr/bin/env node
// `npm run bench`: the peers benchmark (../shared/bench, or $SPB_HARNESS) with
// setpoint wired in, then bench/RESULTS.md: median wall time, CPU and peak RSS
// per tool, phase and N, and setpoint's ratio to the floor and to each peer,
// all measured in the same run.
//
// usage: npm run bench [-- N ...]       (default N: 1000 10000)
// env:   SPB_TOOLS (default: floor setpoint cfengine puppet, plus ansible with
//        SPB_ANSIBLE=1: it takes ~0.5 s per file), SPB_RUNS (default 5),
//        SPB_HARNESS (default ../shared/bench)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const harness = resolve(process.env.SPB_HARNESS ?? join(root, '..', 'shared', 'bench'));
const spbRoot = process.env.SPB_ROOT ?? '/tmp/spbench';
const ns = process.argv.slice(2).length ? process.argv.slice(2) : ['1000', '10000'];
const tools =
  process.env.SPB_TOOLS ??
  `floor setpoint cfengine puppet${process.env.SPB_ANSIBLE === '1' ? ' ansible' : ''}`;
const runs = process.env.SPB_RUNS ?? '5';

if (!existsSync(join(harness, 'run-all.sh'))) {
  console.error(
    `bench: no peer harness at ${harness}.\n` +
      'It is the shared peers benchmark (run-all.sh, gen.js, floor.js, check.py): put it in ../shared/bench\n' +
      'beside this checkout, or point SPB_HARNESS at a copy. The peers it measures are optional:\n' +
      'SPB_TOOLS="floor setpoint" npm run bench needs only Node; add cfengine (apt-get install cfengine3)\n' +
      'and puppet (apt-get install puppet) to compare with them.',
  );
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'bundle', 'setpoint.cjs')))
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

// The state lives beside the workload; the bench folder itself may be read-only.
const setpointCmd = `node ${join(root, 'bin', 'setpoint.js')} --state ${spbRoot}/setpoint/state/n{n}.db apply --yes -f {file}`;
const started = new Date();
const r = spawnSync('bash', [join(harness, 'run-all.sh'), ...ns], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, SPB_TOOLS: tools, SPB_RUNS: runs, SETPOINT_CMD: setpointCmd, SPB_ROOT: spbRoot },
});
if (r.status !== 0) process.exit(r.status ?? 1);

// The harness writes $SPB_ROOT/_results/run-<time>.jsonl; take the newest.
const dir = join(spbRoot, '_results');
const latest = readdirSync(dir)
  .filter((f) => f.startsWith('run-'))
  .sort()
  .pop();
const rows = readFileSync(join(dir, latest), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const timed = rows.filter((x) => x.tag === 'timed' || x.tag === 'single');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cell = new Map();
for (const x of timed) {
  const k = `${x.tool}|${x.phase}|${x.n}`;
  const c = cell.get(k) ?? { wall: [], cpu: [], rss: [], changes: new Set(), correct: new Set() };
  c.wall.push(Number(x.wall_s));
  c.cpu.push(Number(x.cpu_s));
  c.rss.push(Number(x.rss_mb));
  c.changes.add(`${x.changes} (${x.expected_changes})`);
  c.correct.add(String(x.correct));
  cell.set(k, c);
}
const toolList = tools.split(/\s+/).filter((t) => [...cell.keys()].some((k) => k.startsWith(t + '|')));
const f = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const lines = [];
lines.push('# setpoint benchmark results', '');
lines.push(
  `Measured ${started.toISOString()} with \`npm run bench\` (the shared peers harness, tools: ${toolList.join(', ')}; N = ${ns.join(', ')}, ${runs} timed runs after one warm-up per cell; medians).`,
);
lines.push(
  `Machine: ${execFileSync('nproc').toString().trim()} cores, ${process.version}. Raw runs: \`$SPB_ROOT/_results/${latest}\`. The floor does not fsync; setpoint flushes each file before its rename.`,
  '',
);
lines.push(
  '| N | tool | phase | runs | median wall s | median CPU s | median peak RSS MB | changes (expected) | correct |',
  '|---:|---|---|---:|---:|---:|---:|---|---|',
);
for (const n of ns)
  for (const t of toolList)
    for (const p of ['cold', 'noop', 'drift']) {
      const c = cell.get(`${t}|${p}|${n}`);
      if (!c) continue;
      lines.push(
        `| ${n} | ${t} | ${p} | ${c.wall.length} | ${f(median(c.wall))} | ${f(median(c.cpu), 2)} | ${f(median(c.rss), 1)} | ${[...c.changes].join(', ')} | ${[...c.correct].join(', ')} |`,
      );
    }
lines.push(
  '',
  '## setpoint relative to the others (ratio of median wall times; < 1 means setpoint is faster)',
  '',
);
const others = toolList.filter((t) => t !== 'setpoint');
lines.push(
  `| N | phase | setpoint s | ${others.map((o) => `÷ ${o}`).join(' | ')} |`,
  `|---:|---|---:|${others.map(() => '---:').join('|')}|`,
);
for (const n of ns)
  for (const p of ['cold', 'noop', 'drift']) {
    const s = cell.get(`setpoint|${p}|${n}`);
    if (!s) continue;
    const sw = median(s.wall);
    lines.push(
      `| ${n} | ${p} | ${f(sw)} | ${others
        .map((o) => {
          const c = cell.get(`${o}|${p}|${n}`);
          return c ? f(sw / median(c.wall), 2) : '-';
        })
        .join(' | ')} |`,
    );
  }
// Sections other benchmarks keep in RESULTS.md (each from its own <!-- marker --> on: the store,
// failover, packages and web benches) stay below the peers' table.
const resultsPath = join(root, 'bench', 'RESULTS.md');
const previous = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '';
const keptAt = previous.search(/^<!-- /m);
writeFileSync(resultsPath, lines.join('\n') + '\n' + (keptAt >= 0 ? '\n' + previous.slice(keptAt) : ''));
console.log(lines.join('\n'));
