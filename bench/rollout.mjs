#!/usr/bin/env node
// Progressive rollouts on one host: a real `setpoint serve` over a real Git
// source of three Files (a canary group and two others) and an HttpCheck of a
// small HTTP service that fails when the canary's file says "bad". Strategy:
// canary -> gate (window W, interval 200 ms) -> 100 %. Per trial:
//   promotion  commit of a good revision -> every file at it (rollout Completed);
//              minus the gate window = what steps and gate evaluation add.
//   rollback   a bad revision: the time from the first failing HttpCheck
//              result the gate can see (the service answers 500 once the
//              canary's file is bad) to the canary's file back at the
//              previous revision. The next trial's good commit is pushed,
//              then `setpoint unpin` lets it roll out.
// The five-agent fleet scenario is bench/rollout-fleet.mjs.
// usage: node bench/rollout.mjs [TRIALS=5] [WINDOW_S=2]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const TRIALS = Number(process.argv[2] ?? 5);
const WINDOW_S = Number(process.argv[3] ?? 2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'sp-rollout-bench-'));
const out = join(dir, 'out');
const project = join(dir, 'project');
const work = join(dir, 'work');
mkdirSync(out, { recursive: true });
mkdirSync(project, { recursive: true });

const env = {
  ...process.env,
  NO_COLOR: '1',
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@example.org',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@example.org',
};
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env }).toString().trim();
const cli = (...args) => spawnSync(process.execPath, [bin, ...args], { cwd: project, env, encoding: 'utf8' });
const read = (name) => {
  const f = join(out, `${name}.conf`);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};
async function until(what, check, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return Date.now();
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// The service: 500 while the canary's file says "bad"; it records when it first answered 500 for each text.
const SERVICE = `
const { createServer } = require('node:http');
const { existsSync, readFileSync, appendFileSync } = require('node:fs');
const f = process.argv[1], log = process.argv[2];
let last = '';
createServer((_q, res) => {
  const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
  const bad = text.includes('bad');
  if (bad && last !== text) appendFileSync(log, Date.now() + '\\n');
  last = text;
  res.writeHead(bad ? 500 : 200).end(text);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;
const failures = join(dir, 'first-500.log');
writeFileSync(failures, '');
const service = spawn(process.execPath, ['-e', SERVICE, join(out, 'canary.conf'), failures], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((r) => service.stdout.setEncoding('utf8').once('data', (s) => r(Number(s))));

const manifests = (text) =>
  [
    ['canary', 'tier: web, role: canary'],
    ['a', 'tier: web'],
    ['b', 'tier: web'],
  ]
    .map(
      ([n, l]) =>
        `kind: File\nmetadata: { name: ${n}, labels: { ${l} } }\nspec: { path: ${out}/${n}.conf, content: "${text}\\n", mode: "0644" }\n`,
    )
    .concat(
      `kind: HttpCheck\nmetadata: { name: web }\nspec: { url: "http://127.0.0.1:${port}/", interval: 100ms, timeout: 1s }\n`,
    )
    .join('---\n');
const push = (text) => {
  mkdirSync(join(work, 'manifests'), { recursive: true });
  writeFileSync(join(work, 'manifests', 'app.yaml'), manifests(text));
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', text);
  git(work, 'push', '-q', 'origin', 'main');
  return Date.now();
};

git(dir, 'init', '-q', '--bare', 'remote.git');
git(dir, 'init', '-q', '-b', 'main', 'work');
git(work, 'remote', 'add', 'origin', join(dir, 'remote.git'));
writeFileSync(
  join(project, 'setpoint.yaml'),
  `sources:\n  - name: app\n    git: { url: file://${join(dir, 'remote.git')}, ref: main, path: manifests, interval: 200ms }\n` +
    'rollouts:\n  - source: app\n    selector: { tier: web }\n    groups:\n      canary: { selector: { role: canary } }\n' +
    `    interval: 200ms\n    progressDeadline: 30s\n    steps:\n      - canary: canary\n` +
    `      - gate: { window: ${WINDOW_S}s, checks: [{ health: HttpCheck/default/web }] }\n      - percent: 100\n`,
);
push('v0');
const serve = spawn(process.execPath, [bin, 'serve'], { cwd: project, env, stdio: 'ignore' });
const promotion = [];
const rollback = [];
try {
  await until('v0 everywhere', () => ['canary', 'a', 'b'].every((n) => read(n) === 'v0\n'));
  for (let i = 1; i <= TRIALS; i++) {
    const good = `v${i}`;
    // After a rollback the source is pinned: the good commit rolls out once unpinned (timed from the unpin).
    let t0 = push(good);
    if (i > 1) {
      const u = cli('unpin', 'app');
      if (u.status !== 0) throw new Error(u.stderr);
      t0 = Date.now();
    }
    const t1 = await until(`${good} everywhere`, () =>
      ['canary', 'a', 'b'].every((n) => read(n) === `${good}\n`),
    );
    promotion.push((t1 - t0) / 1000);
    // The rollout completes at its next check; a commit before that would supersede it (from the same start).
    await until('the rollout completed', () => {
      const r = cli('rollout', 'status', '--json');
      return r.status === 0 && JSON.parse(r.stdout)[0]?.phase === 'Completed';
    });
    const seen = readFileSync(failures, 'utf8').trim().split('\n').filter(Boolean).length;
    push(`bad${i}`);
    await until(
      'the service failing',
      () => readFileSync(failures, 'utf8').trim().split('\n').filter(Boolean).length > seen,
    );
    const failedAt = Number(readFileSync(failures, 'utf8').trim().split('\n').at(-1));
    const t2 = await until('the canary back', () => read('canary') === `${good}\n`);
    rollback.push((t2 - failedAt) / 1000);
    if (read('a') !== `${good}\n` || read('b') !== `${good}\n`)
      throw new Error('the bad revision reached a non-canary');
  }
} finally {
  serve.kill('SIGTERM');
  service.kill();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) =>
  `median ${median(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
const uptime = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
console.log(
  `rollout bench, ${new Date().toISOString()}, N = ${TRIALS} trials, gate window ${WINDOW_S} s, check interval 0.2 s`,
);
console.log(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${uptime})`,
);
console.log(
  `commit -> full promotion: ${fmt(promotion)}; minus the gate window: ${fmt(promotion.map((x) => x - WINDOW_S))}`,
);
console.log(`failed check -> canary back at the previous revision: ${fmt(rollback)}`);
rmSync(dir, { recursive: true, force: true });
