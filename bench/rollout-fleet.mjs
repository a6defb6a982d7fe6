#!/usr/bin/env node
// Progressive rollouts across a fleet: a real `setpoint serve --listen` over a
// real Git source, five real `setpoint agent` processes (each its own state
// and host folder) and a small HTTP service that each node's HttpCheck polls
// for that node (500 when the node's app.conf says "bad"). Strategy over
// nodes: canary 1 node -> gate (window W) -> 60 % -> gate (window W) -> 100 %.
// Per trial:
//   promotion  commit of a good revision -> every node's file at it and the
//              rollout Completed; minus two gate windows = what delivery,
//              steps and gate evaluation add.
//   gate extra what each gate takes beyond its window: from its window's
//              start to the next step (serve's rollout record, polled every
//              50 ms), minus the window: waiting for fresh results and the
//              evaluation's granularity.
//   rollback   a bad revision: from the service's first 500 for the canary
//              node (the first failing check the gate can see) to the
//              canary's file back at the previous revision; the other four
//              nodes must never see the bad file.
// After a rollback the source is pinned: the next good commit rolls out once
// `setpoint unpin` runs (timed from the unpin).
// usage: node bench/rollout-fleet.mjs [TRIALS=5] [WINDOW_S=5]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const TRIALS = Number(process.argv[2] ?? 5);
const WINDOW_S = Number(process.argv[3] ?? 5);
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'sp-rollout-fleet-bench-'));
const hosts = join(dir, 'hosts');
const project = join(dir, 'project');
const repo = join(dir, 'repo');
for (const d of [project, repo, ...NODES.map((n) => join(hosts, n))]) mkdirSync(d, { recursive: true });

const env = {
  ...process.env,
  NO_COLOR: '1',
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@example.org',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@example.org',
};
const git = (...args) => execFileSync('git', args, { cwd: repo, env }).toString().trim();
const cli = (...args) => spawnSync(process.execPath, [bin, ...args], { cwd: project, env, encoding: 'utf8' });
const app = (n) => {
  const f = join(hosts, n, 'app.conf');
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};
async function until(what, check, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// GET /<node>: 500 while the node's app.conf says "bad"; the first 500 for each new text is logged with its time.
const SERVICE = `
const { createServer } = require('node:http');
const { existsSync, readFileSync, appendFileSync } = require('node:fs');
const path = require('node:path');
const [hosts, log] = process.argv.slice(1);
const last = new Map();
createServer((req, res) => {
  const node = path.basename(req.url);
  const f = path.join(hosts, node, 'app.conf');
  const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
  const bad = text.includes('bad');
  if (bad && last.get(node) !== text) appendFileSync(log, node + ' ' + Date.now() + '\\n');
  last.set(node, text);
  res.writeHead(bad ? 500 : 200).end(text);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;
const failures = join(dir, 'first-500.log');
writeFileSync(failures, '');
const service = spawn(process.execPath, ['-e', SERVICE, hosts, failures], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((r) => service.stdout.setEncoding('utf8').once('data', (s) => r(Number(s))));
const failuresOf = (node) =>
  readFileSync(failures, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith(`${node} `))
    .map((l) => Number(l.split(' ')[1]));

const commit = (text) => {
  writeFileSync(
    join(repo, 'app.yaml'),
    `kind: File\nmetadata: { name: app }\nspec:\n  path: "${hosts}/\${facts.node.name}/app.conf"\n  content: "${text}\\n"\n` +
      `nodeSelector: { matchLabels: { env: prod } }\n---\n` +
      `kind: HttpCheck\nmetadata: { name: web }\n` +
      `spec: { url: "http://127.0.0.1:${port}/\${facts.node.name}", interval: 200ms, timeout: 1s }\n` +
      `nodeSelector: { matchLabels: { env: prod } }\n`,
  );
  git('add', '-A');
  git('commit', '-qm', text);
  return Date.now();
};

git('init', '-q', '-b', 'main');
commit('v0');
const gate = `{ window: ${WINDOW_S}s, checks: [{ health: HttpCheck/default/web }] }`;
writeFileSync(
  join(project, 'setpoint.yaml'),
  `sources:\n  - name: main\n    git: { url: "${repo}", ref: main, interval: 200ms }\n` +
    `rollouts:\n  - source: main\n    targets: nodes\n    interval: 200ms\n    progressDeadline: 40s\n` +
    `    steps:\n      - canary: 1\n      - gate: ${gate}\n      - percent: 60\n      - gate: ${gate}\n      - percent: 100\n`,
);

const children = [];
const serve = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], {
  cwd: project,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
children.push(serve);
let serveOut = '';
serve.stdout.setEncoding('utf8').on('data', (s) => (serveOut += s));
serve.stderr.setEncoding('utf8').on('data', (s) => (serveOut += s));
const promotion = [];
const rollback = [];
const gateExtra = [];
try {
  let url = '';
  await until('serve to listen', () => (url = /API on (http:\/\/\S+) /.exec(serveOut)?.[1] ?? ''));
  const viewer = cli('token', 'create', '--name', 'viewer', '--role', 'viewer')
    .stdout.trim()
    .split('\n')[0]
    .trim();
  const enrol = cli(
    'nodes',
    'enroll-token',
    '--ttl',
    '10m',
    '--labels',
    'env=prod',
    '--uses',
    String(NODES.length),
  );
  if (enrol.status !== 0) throw new Error(enrol.stderr);
  for (const name of NODES) {
    const args = ['agent', '--server', url, '--enroll-token', enrol.stdout.trim(), '--name', name];
    args.push('--state', join(dir, 'agents', name));
    children.push(spawn(process.execPath, [bin, ...args], { cwd: project, env, stdio: 'ignore' }));
  }
  const latestRollout = async () => {
    const res = await fetch(`${url}/api/v1/rollouts`, {
      headers: { authorization: `Bearer ${viewer}` },
    }).catch(() => undefined);
    if (!res?.ok) return undefined;
    return (await res.json()).items[0];
  };
  const rolloutPhase = async () => (await latestRollout())?.phase;
  // The rollout record at each step it was seen at (`id:step`), while `watching`.
  const steps = new Map();
  let watching = false;
  const watchSteps = async () => {
    while (watching) {
      const r = await latestRollout();
      if (r) steps.set(`${r.id}:${r.step}`, r);
      await sleep(50);
    }
  };
  await until('v0 on every node', () => NODES.every((n) => app(n) === 'v0\n'));
  for (let i = 1; i <= TRIALS; i++) {
    const good = `v${i}`;
    let t0 = commit(good);
    if (i > 1) {
      // The rolled-back source is pinned: unpin lets the good commit roll out.
      const u = cli('unpin', 'main');
      if (u.status !== 0 && !/not pinned/i.test(u.stderr)) throw new Error(u.stderr);
      t0 = Date.now();
    }
    steps.clear();
    watching = true;
    const watched = watchSteps();
    const t1 = await until(`${good} on every node`, () => NODES.every((n) => app(n) === `${good}\n`)).catch(
      async (err) => {
        const r = await fetch(`${url}/api/v1/rollouts`, { headers: { authorization: `Bearer ${viewer}` } });
        console.error(JSON.stringify((await r.json()).items[0]), NODES.map(app));
        throw err;
      },
    );
    await until('the rollout completed', async () => (await rolloutPhase()) === 'Completed');
    watching = false;
    await watched;
    promotion.push((t1 - t0) / 1000);
    const done = [...steps.values()].find((r) => r.phase === 'Completed');
    for (const g of [1, 3]) {
      const gate = steps.get(`${done?.id}:${g}`);
      const next = steps.get(`${done?.id}:${g + 1}`);
      if (gate?.gateStartedAt && next?.stepStartedAt)
        gateExtra.push((Date.parse(next.stepStartedAt) - Date.parse(gate.gateStartedAt)) / 1000 - WINDOW_S);
    }
    const seen = failuresOf('n1').length;
    commit(`bad${i}`);
    await until('the service failing for the canary', () => failuresOf('n1').length > seen);
    const failedAt = failuresOf('n1').at(-1);
    const t2 = await until('the canary back', () => app('n1') === `${good}\n`);
    rollback.push((t2 - failedAt) / 1000);
    await until('the rollout rolled back', async () => (await rolloutPhase()) === 'RolledBack');
    for (const n of NODES.slice(1))
      if (app(n) !== `${good}\n`) throw new Error(`the bad revision reached ${n}: ${app(n)}`);
  }
} finally {
  // Removing the folder while serve still writes in it fails: wait for every process to end.
  const ended = [...children, service].map((c) =>
    c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
  );
  for (const c of children) c.kill('SIGTERM');
  service.kill();
  await Promise.all(ended);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) =>
  `median ${median(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
console.log(
  `rollout-fleet bench, ${new Date().toISOString()}, 5 agents, N = ${TRIALS} trials, gate window ${WINDOW_S} s (two gates), rollout interval 0.2 s`,
);
console.log(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  `commit -> full promotion (5 nodes): ${fmt(promotion)}; minus the two gate windows: ${fmt(promotion.map((x) => x - 2 * WINDOW_S))}`,
);
console.log(
  `a gate beyond its window (window start -> next step, ${gateExtra.length} gates): ${gateExtra.length ? fmt(gateExtra) : 'not seen'}`,
);
console.log(`failed check on the canary -> canary back at the previous revision: ${fmt(rollback)}`);
rmSync(dir, { recursive: true, force: true });
