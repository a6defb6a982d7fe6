/**
 * A canary across five agents, with real processes: one `setpoint serve`
 * over a real Git source with a rollout strategy whose targets are nodes
 * (canary 1 node -> gate -> 60 % -> gate -> 100 %), five `setpoint agent`
 * processes each with its own folder, and one real HTTP service that each
 * node's HttpCheck polls for that node (it answers 500 when the node's
 * app.conf says "bad"). A good revision is promoted through every step; a
 * bad one fails the gate on the canary node, which is pinned back and
 * converges back, and never reaches the other four.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fleetKit } from './fleet-kit.js';

const { root, repo, srv, children, cli, start, until, git, killAll } = fleetKit(
  'setpoint-rollout-fleet-',
  30_000,
);
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const OTHERS = NODES.slice(1);

/** GET /<node>: 200 with the node's app.conf, 500 when it says "bad". */
const SERVICE = `
const { createServer } = require('node:http');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const root = process.argv[1];
createServer((req, res) => {
  const f = path.join(root, 'hosts', path.basename(req.url), 'app.conf');
  const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
  res.writeHead(text.includes('bad') ? 500 : 200).end(text);
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

let port = 0;

function commit(content: string): void {
  writeFileSync(
    join(repo, 'app.yaml'),
    `kind: File
metadata: { name: app }
spec:
  path: "${root}/hosts/\${facts.node.name}/app.conf"
  content: "${content}\\n"
nodeSelector: { matchLabels: { env: prod } }
---
kind: HttpCheck
metadata: { name: web }
spec: { url: "http://127.0.0.1:${port}/\${facts.node.name}", interval: 200ms, timeout: 1s }
nodeSelector: { matchLabels: { env: prod } }
`,
  );
  git('add', '-A');
  git('commit', '-qm', content);
}

const app = (name: string) => {
  const f = join(root, 'hosts', name, 'app.conf');
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};

interface Node {
  name: string;
  appliedDigest?: string;
  desiredDigest?: string;
  behind: boolean;
  counts: { inSync: number; total: number };
}
let url = '';
let viewer = '';
/** Reads over HTTP with a viewer token: a CLI process per poll costs seconds on a loaded machine. */
async function get<T>(path: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url + path, { headers: { authorization: `Bearer ${viewer}` } });
      assert.equal(res.status, 200, path);
      return (await res.json()) as T;
    } catch (err) {
      // A kept-alive connection the server closed meanwhile fails once: ask again.
      if (attempt >= 3) throw err;
      await sleep(100);
    }
  }
}
const nodes = async (): Promise<Node[]> => (await get<{ items: Node[] }>('/api/v1/nodes')).items;

interface Rollout {
  id: string;
  phase: string;
  step: number;
  from: string;
  to: string;
  targets: string[];
  pins: Record<string, string>;
  approvalId?: string;
  reason?: string;
}
const rollout = async (): Promise<Rollout | undefined> =>
  (await get<{ items: Rollout[] }>('/api/v1/rollouts')).items[0];

describe('rollout across five agents: canary 1 node -> gate -> 60 % -> gate -> 100 %', () => {
  before(async () => {
    mkdirSync(repo, { recursive: true });
    mkdirSync(srv, { recursive: true });
    for (const n of NODES) mkdirSync(join(root, 'hosts', n), { recursive: true });
    const service = spawn(process.execPath, ['-e', SERVICE, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(service);
    port = await new Promise<number>((resolve, reject) => {
      service.once('error', reject);
      service.stdout.setEncoding('utf8').once('data', (s: string) => resolve(Number(s.trim())));
    });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    commit('v1');
    const health = '{ health: HttpCheck/default/web }';
    // The default check interval (5 min): steps wait on the nodes' reports, which must follow their
    // writes (an HttpCheck every 200 ms once starved them until the next check).
    writeFileSync(
      join(srv, 'setpoint.yaml'),
      `sources:
  - name: main
    git: { url: "${repo}", ref: main, interval: 300ms }
fleet:
  checkInterval: 5m
rollouts:
  - source: main
    targets: nodes
    interval: 200ms
    progressDeadline: 40s
    steps:
      - canary: 1
      - gate: { window: 1s, checks: [ ${health}, { approval: true } ] }
      - percent: 60
      - gate: { window: 1s, checks: [ ${health} ] }
      - percent: 100
`,
    );
    const serve = start(['serve', '--listen', '127.0.0.1:0']);
    url = await until('serve to listen', async () => /API on (http:\/\/\S+) /.exec(serve.output())?.[1]);
    viewer = cli(['token', 'create', '--name', 'viewer', '--role', 'viewer'])
      .stdout.trim()
      .split('\n')[0]
      .trim();
    const token = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=prod', '--uses', '5']);
    assert.equal(token.status, 0, token.stderr);
    for (const name of NODES)
      start([
        'agent',
        ...['--server', url, '--enroll-token', token.stdout.trim(), '--name', name],
        ...['--state', join(root, 'agents', name), '--label', `rack=${name}`],
      ]);
    await until(
      'every node at v1, in sync and reported',
      async () =>
        NODES.every((n) => app(n) === 'v1\n') &&
        (await nodes()).filter((n) => n.counts.total === 2 && n.counts.inSync === 2 && !n.behind).length ===
          5,
      60_000,
    );
  });

  after(() => killAll());

  it('promotes a good revision through every step: the canary node first, held at the gate, then 60 %, then all', async () => {
    const before = new Map((await nodes()).map((n) => [n.name, n.appliedDigest]));
    commit('v2');
    const held = await until<Rollout>('the canary node at v2, waiting for approval at the gate', async () => {
      const r = await rollout();
      return r?.phase === 'Progressing' && r.step === 1 && !!r.approvalId && app('n1') === 'v2\n' && r;
    });
    assert.deepEqual(
      held.targets,
      NODES.map((n) => `node/${n}`),
    );
    for (const n of OTHERS) assert.equal(app(n), 'v1\n', `${n} is held at v1`);
    // Every path agrees: the held nodes are on their set (not behind), and render --node shows the set each gets.
    const listed = await until('the canary reported its new set', async () => {
      const l = await nodes();
      return l.find((n) => n.name === 'n1')?.appliedDigest !== before.get('n1') && l;
    });
    for (const n of listed) assert.equal(n.behind, false, `${n.name} is not behind: ${JSON.stringify(n)}`);
    for (const n of OTHERS) assert.equal(listed.find((x) => x.name === n)!.appliedDigest, before.get(n));
    assert.match(cli(['render', '--node', 'n2']).stdout, /content: \|\n\s+v1\n/);
    assert.match(cli(['render', '--node', 'n1']).stdout, /content: \|\n\s+v2\n/);

    const approved = cli(['approve', held.approvalId!]);
    assert.equal(approved.status, 0, approved.stdout + approved.stderr);
    await until('60 % of the nodes (3) at v2', async () => {
      const r = await rollout();
      return r && r.step >= 3 && ['n1', 'n2', 'n3'].every((n) => app(n) === 'v2\n');
    });
    await until('every node at v2 and the rollout completed', async () => {
      return NODES.every((n) => app(n) === 'v2\n') && (await rollout())?.phase === 'Completed';
    });
    await until('every node reported v2 in sync', async () =>
      (await nodes()).every(
        (n) => n.counts.inSync === 2 && !n.behind && n.appliedDigest !== before.get(n.name),
      ),
    );
  });

  it('rolls a revision that fails the HttpCheck on the canary node back there; it never reaches the other four', async () => {
    const before = new Map((await nodes()).map((n) => [n.name, n.appliedDigest]));
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      for (const n of OTHERS) seen.add(app(n) ?? '');
    }, 20);
    const digests = new Set<string>();
    try {
      commit('bad');
      await until('the canary node ran the bad revision', async () => app('n1') === 'bad\n');
      await until('the rollout rolled back', async () => {
        for (const n of await nodes()) if (n.name !== 'n1') digests.add(`${n.name}:${n.appliedDigest}`);
        return (await rollout())?.phase === 'RolledBack';
      });
      await until('the canary node back at v2', async () => app('n1') === 'v2\n');
      await until('the canary node reported the previous set again', async () => {
        const l = await nodes();
        for (const n of l) if (n.name !== 'n1') digests.add(`${n.name}:${n.appliedDigest}`);
        return l.find((n) => n.name === 'n1')?.appliedDigest === before.get('n1') && l;
      });
    } finally {
      clearInterval(watcher);
    }
    assert.deepEqual([...seen], ['v2\n'], 'the other nodes never ran the bad revision');
    assert.deepEqual(
      [...digests].sort(),
      OTHERS.map((n) => `${n}:${before.get(n)}`),
      'the other nodes never held another set',
    );
    const r = (await rollout())!;
    assert.match(r.reason ?? '', /gate of step 2 failed: .*HttpCheck\/default\/web is Degraded on node\/n1/);
    assert.equal(r.pins['node/n1'], r.from);

    const history = cli(['history']);
    assert.equal(history.status, 0, history.stderr);
    assert.match(history.stdout, /RolledBack/);
    const audit = JSON.parse(cli(['audit', '--json', '-n', '500']).stdout) as Array<{
      action: string;
      result: string;
      detail?: { rollout?: string; targets?: string[] };
    }>;
    const rolledBack = audit.find((a) => a.action === 'rollout.rollback' && a.detail?.rollout === r.id);
    assert.deepEqual(rolledBack?.detail?.targets, ['node/n1']);
    assert.equal(rolledBack?.result, 'rolled-back');
  });
});
