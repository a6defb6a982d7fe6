#!/usr/bin/env node
// `npm run bench:store`: one-shot no-op apply of N files (default 10,000)
// with the SQLite store and with the PostgreSQL store, same workload (one
// Directory and N Files, as the peers harness generates), same machine.
// Each store gets one cold apply, then SPB_RUNS (default 5) timed no-op
// applies, alternating between the stores; prints medians and writes the section of bench/RESULTS.md
// between the store-bench markers.
//
// PostgreSQL: $SETPOINT_BENCH_PG_URL (an empty database), else a throwaway
// PostgreSQL 15 started here from /usr/lib/postgresql/15/bin (as the
// postgres user when run as root) and removed at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus as cpuList, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPostgres } from './pg.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] ?? 10_000);
const runs = Number(process.env.SPB_RUNS ?? 5);
const bin = join(root, 'bin', 'setpoint.js');
if (!existsSync(join(root, 'dist', 'bundle', 'setpoint.cjs')))
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

const loadAtStart = loadavg()[0].toFixed(1);
const work = mkdtempSync(join(tmpdir(), 'setpoint-store-bench-'));
const name = (i) => 'f' + String(i).padStart(5, '0');
function manifest(filesDir) {
  const docs = [`kind: Directory\nmetadata: { name: files }\nspec: { path: ${filesDir}, mode: "0755" }`];
  for (let i = 1; i <= n; i++)
    docs.push(
      `kind: File\nmetadata: { name: ${name(i)} }\nspec:\n  path: ${filesDir}/${name(i)}.txt\n  content: ${JSON.stringify(`spbench managed file ${name(i)}\nindex=${i}\nvalue=${(i * 7919) % 100003}\n`)}\n  mode: "0644"\ndependsOn: [Directory/files]`,
    );
  return docs.join('\n---\n') + '\n';
}

function apply(state, file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'apply', '--yes', '-f', file, '--state', state], {
    encoding: 'utf8',
    cwd: work,
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`apply failed (${r.status}): ${r.stderr}`);
  return s;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pg = await benchPostgres();
const results = {};
try {
  const stores = [
    ['SQLite', join(work, 'state.db')],
    ['PostgreSQL', pg.url],
  ];
  const files = {};
  for (const [store, state] of stores) {
    files[store] = join(work, `${store}.yaml`);
    writeFileSync(files[store], manifest(join(work, `files-${store}`)));
    results[store] = { cold: apply(state, files[store]), noop: [] };
  }
  // No-op runs alternate between the stores, so both see the same load on a shared machine.
  for (let i = 0; i < runs; i++)
    for (const [store, state] of stores) results[store].noop.push(apply(state, files[store]));
  for (const [store] of stores) {
    const r = results[store];
    console.log(
      `${store}: cold ${r.cold.toFixed(2)} s; no-op ${r.noop.map((s) => s.toFixed(3)).join(', ')} s (median ${median(r.noop).toFixed(3)})`,
    );
  }
} finally {
  await pg.stop();
  rmSync(work, { recursive: true, force: true });
}

const loadAtEnd = loadavg()[0].toFixed(1);
const sq = median(results.SQLite.noop);
const pq = median(results.PostgreSQL.noop);
const section = [
  '<!-- store-bench:start (written by `npm run bench:store`) -->',
  '## The PostgreSQL store against the SQLite store',
  '',
  `Measured ${new Date().toISOString()} with \`npm run bench:store\` on ${cpuList().length} cores (${cpuList()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.version}, load average ${loadAtStart} at the start and ${loadAtEnd} at the end (a machine shared with other work: figures are noisy); PostgreSQL 15 on the same host over TCP (localhost), default durability (fsync on). One Directory and ${n.toLocaleString('en')} Files; one cold apply per store, then ${runs} one-shot no-op applies each, alternating between the stores (\`setpoint apply --yes\`, a new process each), median wall time.`,
  '',
  '| store | cold apply s | no-op runs s | median no-op s |',
  '|---|---:|---|---:|',
  ...Object.entries(results).map(
    ([s, r]) =>
      `| ${s} | ${r.cold.toFixed(2)} | ${r.noop.map((x) => x.toFixed(3)).join(', ')} | ${median(r.noop).toFixed(3)} |`,
  ),
  '',
  `PostgreSQL ÷ SQLite, no-op: **${(pq / sq).toFixed(2)}×** (target ≤ 1.5×).`,
  '',
  `Cold apply, PostgreSQL ÷ SQLite: ${(results.PostgreSQL.cold / results.SQLite.cold).toFixed(1)}× (no target). A cold apply commits each action twice (its intent before it acts, its outcome — record, event, audit entry — before its dependents start); on PostgreSQL each commit is a few round trips and a WAL flush. Intents commit on a chain of their own, so the actions that start do not wait behind the outcomes of those that finished, and outcomes finishing together share one transaction (group commit).`,
  '<!-- store-bench:end -->',
].join('\n');
const resultsFile = join(root, 'bench', 'RESULTS.md');
const old = readFileSync(resultsFile, 'utf8');
const re = /<!-- store-bench:start[\s\S]*?<!-- store-bench:end -->/;
writeFileSync(resultsFile, re.test(old) ? old.replace(re, section) : old.trimEnd() + '\n\n' + section + '\n');
console.log(section);
