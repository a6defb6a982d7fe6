#!/usr/bin/env node
// `node bench/packages.mjs` (root, Debian/Ubuntu; run `npm run build` first):
//  1. Observe of 200 installed packages by the Package provider: one
//     `dpkg-query -W` for the run (the engine's RunScope), against one query
//     per package (no run scope). Provider calls only, no CLI start-up.
//  2. `setpoint plan` of a manifest with those 200 packages (whole CLI).
//  3. Installing 4 small packages (hello, sl, figlet, cowsay + 1 dependency)
//     with `setpoint apply`: in one apt transaction (independent resources)
//     against one by one (the same packages chained by dependsOn, so each
//     waits for the previous and installs alone). Downloads are cached by a
//     warm-up, so both measure apt/dpkg work, not the network.
// Prints a Markdown table (paste into bench/RESULTS.md). usage: node bench/packages.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const RUNS = Number(process.argv[2] ?? 3);
const SMALL = ['hello', 'sl', 'figlet', 'cowsay'];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => s.toFixed(3);

const { packageProvider } = await import(join(root, 'dist/providers/package/index.js'));
const { RunScope } = await import(join(root, 'dist/provider/run.js'));
const { createContext } = await import(join(root, 'dist/provider/context.js'));
const { SecretResolver } = await import(join(root, 'dist/secrets/index.js'));

const installed = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${Status}\n'], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.endsWith(' installed'))
  .map((l) => l.split('\t')[0])
  .slice(0, 200);
if (installed.length < 200) console.error(`only ${installed.length} packages installed: measuring those`);

const secrets = new SecretResolver({ env: {} });
function ctxFor(name, run) {
  const resource = {
    id: `Package/default/${name}`,
    key: { kind: 'Package', namespace: 'default', name },
    metadata: { name, namespace: 'default', labels: {}, annotations: {} },
    spec: {},
    dependsOn: [],
    lifecycle: {},
    origin: { file: '/tmp/m.yaml', line: 1, column: 1, index: 0 },
    digest: '',
  };
  return createContext({ resource, sourceRoot: '/tmp', secrets, onEvent: () => undefined, run });
}

async function observeAll(shared) {
  const run = shared ? new RunScope() : undefined;
  const started = performance.now();
  await Promise.all(
    installed.map(async (name) => {
      const ctx = ctxFor(name, run);
      const desired = await packageProvider.resolve({ name, ensure: 'present' }, ctx);
      const actual = await packageProvider.observe(desired, ctx);
      if (!actual) throw new Error(`${name} not seen`);
    }),
  );
  return (performance.now() - started) / 1000;
}

const rows = [];
const batchedObs = [];
const singleObs = [];
for (let i = 0; i < RUNS; i++) {
  batchedObs.push(await observeAll(true));
  singleObs.push(await observeAll(false));
}
rows.push([`observe ${installed.length} packages, one dpkg-query per run`, batchedObs]);
rows.push([`observe ${installed.length} packages, one dpkg-query each`, singleObs]);

const work = mkdtempSync(join(tmpdir(), 'spbench-pkg-'));
const cli = (dir, args) => {
  const started = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args, '--state', join(dir, 'state.db')], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.status !== 0 && r.status !== 2) throw new Error(`setpoint ${args.join(' ')}: ${r.stderr}`);
  return (performance.now() - started) / 1000;
};
const project = (name, docs) => {
  const dir = join(work, name);
  mkdirSync(join(dir, 'm'), { recursive: true });
  writeFileSync(join(dir, 'm', 'pkgs.yaml'), docs.join('---\n'));
  return dir;
};

const planDir = project(
  'plan200',
  installed.map((n, i) => `kind: Package\nmetadata: { name: pkg-${i} }\nspec: { name: "${n}" }\n`),
);
cli(planDir, ['plan', '-f', 'm']);
rows.push([
  `setpoint plan, ${installed.length} packages in sync (whole CLI)`,
  Array.from({ length: RUNS }, () => cli(planDir, ['plan', '-f', 'm'])),
]);

const purge = () =>
  spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'purge', '-y', '--auto-remove', ...SMALL], {
    env,
    stdio: 'ignore',
  });
const batched = project(
  'batched',
  SMALL.map((n) => `kind: Package\nmetadata: { name: ${n} }\n`),
);
const chained = project(
  'chained',
  SMALL.map(
    (n, i) =>
      `kind: Package\nmetadata: { name: ${n} }\n${i > 0 ? `dependsOn: [Package/${SMALL[i - 1]}]\n` : ''}`,
  ),
);
// Warm-up: downloads the .debs into apt's cache.
purge();
execFileSync('apt-get', ['install', '-y', '--download-only', ...SMALL], { env, stdio: 'ignore' });
const batchTimes = [];
const chainTimes = [];
for (let i = 0; i < RUNS; i++) {
  purge();
  rmSync(join(batched, 'state.db'), { force: true });
  batchTimes.push(cli(batched, ['apply', '-f', 'm', '--yes']));
  purge();
  rmSync(join(chained, 'state.db'), { force: true });
  chainTimes.push(cli(chained, ['apply', '-f', 'm', '--yes']));
}
purge();
rows.push([`setpoint apply, install ${SMALL.length} packages in one apt transaction`, batchTimes]);
rows.push([`setpoint apply, install ${SMALL.length} packages one by one`, chainTimes]);
rmSync(work, { recursive: true, force: true });

console.log(
  `Measured ${new Date().toISOString()} with \`node bench/packages.mjs ${RUNS}\` (${RUNS} runs, medians; ${process.version}).\n`,
);
console.log('| what | median s | runs (s) |');
console.log('| ---- | -------: | -------- |');
for (const [what, xs] of rows) console.log(`| ${what} | ${fmt(median(xs))} | ${xs.map(fmt).join(', ')} |`);
