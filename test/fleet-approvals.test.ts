/**
 * Approvals and windows across the fleet, with real processes: one
 * `setpoint serve --listen` over a real Git source and three `setpoint agent`
 * processes (one env=prod, two env=staging), each with its own host folder.
 * An approve-policy change selected by the three nodes is ONE approval with
 * three targets; approving it (first for one node, then the rest) makes each
 * node converge. A deny window scoped to env=prod holds a change on the prod
 * node only, while the staging nodes apply it, and `plan --node` says so.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fleetKit } from './fleet-kit.js';

const { root, repo, srv, cli, start, until, git, killAll } = fleetKit('setpoint-fleet-approvals-', 30_000);
const NODES = ['p1', 's1', 's2'];

/** `gate` (every node; approve when `approve`) and `web` (every node, tier=web: the prod window holds it). */
function commit(gate: string, approve: boolean): void {
  writeFileSync(
    join(repo, 'fleet.yaml'),
    `kind: File
metadata:
  name: gate
spec:
  path: "${root}/hosts/\${facts.node.name}/gate"
  content: "${gate}\\n"
${approve ? 'lifecycle: { remediation: approve }\n' : ''}nodeSelector:
  matchExpressions:
    - { key: env, operator: Exists }
---
kind: File
metadata:
  name: web
  labels: { tier: web }
spec:
  path: "${root}/hosts/\${facts.node.name}/web"
  content: "web\\n"
nodeSelector:
  matchExpressions:
    - { key: env, operator: Exists }
`,
  );
  git('add', '-A');
  git('commit', '-qm', gate);
}

const host = (name: string, file: string) => join(root, 'hosts', name, file);
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

interface Approval {
  id: string;
  resourceId: string;
  state: string;
  fleet?: { targets: Array<{ node: string; state: string; decidedBy?: string }> };
}

function approvals(all = false): Approval[] {
  const r = cli(['approvals', '--json', ...(all ? ['--all'] : [])]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Approval[];
}

let url = '';

describe('fleet approvals and windows: one serve, three agents', () => {
  before(async () => {
    mkdirSync(repo, { recursive: true });
    mkdirSync(srv, { recursive: true });
    for (const n of NODES) mkdirSync(join(root, 'hosts', n), { recursive: true });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    commit('v1', false);
    // Open all the time: the prod node never changes tier=web resources while it is.
    writeFileSync(
      join(srv, 'setpoint.yaml'),
      `sources:
  - name: main
    git: { url: "${repo}", ref: main, interval: 1s }
fleet:
  checkInterval: 2s
windows:
  - name: prod-freeze
    type: deny
    schedule: "* * * * *"
    duration: 1h
    match: { labels: { tier: web } }
    nodeSelector: { matchLabels: { env: prod } }
`,
    );
    const serve = start(['serve', '--listen', '127.0.0.1:0']);
    url = await until('serve to listen', () => /API on (http:\/\/\S+) /.exec(serve.output())?.[1]);
    const prod = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=prod']);
    const staging = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=staging']);
    assert.equal(prod.status, 0, prod.stderr);
    for (const name of NODES)
      start([
        'agent',
        '--server',
        url,
        '--enroll-token',
        (name === 'p1' ? prod : staging).stdout.trim(),
        '--name',
        name,
        '--state',
        join(root, 'agents', name),
      ]);
  });

  after(() => killAll());

  it('holds a tier=web change on the prod node only, and plan --node shows the window', async () => {
    for (const n of NODES) await until(`${n} gate v1`, () => read(host(n, 'gate')) === 'v1\n');
    for (const n of ['s1', 's2']) await until(`${n} web`, () => read(host(n, 'web')) === 'web\n');
    const held = await until('p1 reports web held', () => {
      const r = cli(['status', '--node', 'p1', '--json']);
      const node = JSON.parse(r.stdout) as { resources: Array<{ id: string; sync: string }> };
      return node.resources.find((x) => x.id === 'File/default/web' && x.sync === 'Held');
    });
    assert.ok(held);
    assert.equal(read(host('p1', 'web')), undefined);

    const plan = cli(['plan', '--node', 'p1']);
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, /File\/default\/web .*held by window prod-freeze until /);
    assert.match(plan.stdout, /windows on this node: prod-freeze \(deny\)/);
    const staging = cli(['plan', '--node', 's1', '--json']);
    const s1 = JSON.parse(staging.stdout) as { windows: string[]; actions: Array<{ heldBy?: unknown }> };
    assert.deepEqual(s1.windows, []);
    assert.ok(s1.actions.every((a) => !a.heldBy));
  });

  it('makes an approve-policy change on three nodes ONE approval with three targets', async () => {
    commit('v2', true);
    const [one] = await until('one fleet approval with three pending targets', () => {
      const list = approvals();
      return (
        list.length === 1 && list[0].fleet?.targets.filter((t) => t.state === 'pending').length === 3 && list
      );
    });
    assert.equal(one.resourceId, 'File/default/gate');
    assert.deepEqual(
      one.fleet!.targets.map((t) => t.node),
      NODES,
    );
    const text = cli(['approvals']).stdout;
    assert.match(text, new RegExp(`${one.id} +update File/default/gate`));
    assert.match(text, /on 3 nodes: p1, s1, s2/);
    for (const n of NODES) assert.equal(read(host(n, 'gate')), 'v1\n');
  });

  it('a node token cannot exchange gates for another node (403)', async () => {
    const token = (
      JSON.parse(readFileSync(join(root, 'agents', 's1', 'credential.json'), 'utf8')) as { token: string }
    ).token;
    const res = await fetch(`${url}/api/v1/fleet/nodes/p1/gates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ approvals: [] }),
    });
    assert.equal(res.status, 403);
  });

  it('approving one node converges that node; approving the rest converges them all, audited once each', async () => {
    const [{ id }] = approvals();
    const first = cli(['approve', id, '--node', 's1', '-m', 'canary']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`approved ${id}: update File/default/gate on 1 node: s1`));
    await until('s1 gate v2', () => read(host('s1', 'gate')) === 'v2\n');
    assert.equal(read(host('p1', 'gate')), 'v1\n');
    assert.equal(read(host('s2', 'gate')), 'v1\n');
    const pending = approvals();
    assert.deepEqual(
      pending[0].fleet!.targets.filter((t) => t.state === 'pending').map((t) => t.node),
      ['p1', 's2'],
    );

    const rest = cli(['approve', id]);
    assert.equal(rest.status, 0, rest.stderr);
    assert.match(rest.stdout, /on 2 nodes: p1, s2/);
    for (const n of NODES) await until(`${n} gate v2`, () => read(host(n, 'gate')) === 'v2\n');
    // The window holds tier=web only: the approved gate change went through on the prod node too.
    assert.equal(read(host('p1', 'web')), undefined);

    const settled = await until('every target applied', () => {
      const a = approvals(true).find((x) => x.id === id);
      return a?.state === 'applied' && a.fleet!.targets.every((t) => t.state === 'applied') && a;
    });
    const approvers = new Set(settled.fleet!.targets.map((t) => t.decidedBy));
    assert.equal(approvers.size, 1);
    assert.ok(![...approvers][0]?.startsWith('node:'));
    const audit = cli(['audit', '--json', '--action', 'approval.approve']);
    assert.equal(audit.status, 0, audit.stderr);
    const entries = JSON.parse(audit.stdout) as Array<{ actor: string; detail?: Record<string, unknown> }>;
    const fleet = entries.filter((e) => e.detail?.fleet === true);
    assert.deepEqual(fleet.map((e) => (e.detail!.nodes as string[]).join(',')).sort(), ['p1,s2', 's1']);
    assert.ok(
      fleet.every((e) => !e.actor.startsWith('node:')),
      'the approver is the actor',
    );
    // Each node's own apply reached the server too, with the node as actor.
    const applied = await until('the nodes report applying it', () => {
      const events = cli(['events', '-n', '500']).stdout;
      return NODES.every((n) => new RegExp(`node ${n}: .*approved by`).test(events)) && events;
    });
    assert.ok(applied);
  });
});
