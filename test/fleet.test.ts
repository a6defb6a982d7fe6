/**
 * The fleet end to end, with real processes: one `setpoint serve --listen`
 * over a real Git source, and five `setpoint agent` processes, each with its
 * own folder standing in for a host and its own labels. A commit that
 * changes a resource selected by env=prod reaches exactly the prod agents; a
 * hand edit is repaired by that node's agent; the server stopped, agents keep
 * repairing and their reports arrive once it is back, each once.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fleetKit } from './fleet-kit.js';

const { root, repo, srv, cli, start, until, git, killAll } = fleetKit('setpoint-fleet-', 30_000);

let banner = 'banner one\n';

function commit(content: string): void {
  writeFileSync(
    join(repo, 'motd.yaml'),
    `kind: File
metadata:
  name: motd
spec:
  path: "${root}/hosts/\${facts.node.name}/motd"
  content: "${content}\\n"
nodeSelector:
  matchLabels: { env: prod }
---
kind: File
metadata:
  name: role
spec:
  path: "${root}/hosts/\${facts.node.name}/role"
  content: "any node\\n"
nodeSelector:
  matchExpressions:
    - { key: env, operator: Exists }
---
kind: File
metadata:
  name: banner
spec:
  path: "${root}/hosts/\${facts.node.name}/banner"
  source: ./files/banner.txt
nodeSelector:
  matchLabels: { env: prod }
---
kind: File
metadata:
  name: greeting
spec:
  path: "${root}/hosts/\${facts.node.name}/greeting"
  template: ./files/greeting.j2
  vars: { who: operator }
nodeSelector:
  matchLabels: { env: prod }
`,
  );
  // Files the manifests name (source:, template:): the server ships them with each node's set.
  mkdirSync(join(repo, 'files'), { recursive: true });
  writeFileSync(join(repo, 'files', 'banner.txt'), banner);
  writeFileSync(join(repo, 'files', 'greeting.j2'), 'hello {{ who }} on {{ facts.hostname }}\n');
  git('add', '-A');
  git('commit', '-qm', content);
}

const host = (name: string, file: string) => join(root, 'hosts', name, file);
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

let url = '';
let serve: { child: ChildProcess; output: () => string };
const agents = new Map<string, ChildProcess>();

async function startServe(listen = '127.0.0.1:0'): Promise<void> {
  serve = start(['serve', '--listen', listen]);
  url = await until('serve to listen', () => /API on (http:\/\/\S+) /.exec(serve.output())?.[1]);
}

async function stopServe(): Promise<void> {
  const exited = new Promise((r) => serve.child.once('exit', r));
  serve.child.kill('SIGTERM');
  await exited;
}

function nodes(): Array<{
  name: string;
  counts: { inSync: number; total: number };
  appliedRevision?: string;
  batches: number;
}> {
  const r = cli(['nodes', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: ReturnType<typeof nodes> }).items;
}

function tokenOf(name: string): string {
  return (
    JSON.parse(readFileSync(join(root, 'agents', name, 'credential.json'), 'utf8')) as { token: string }
  ).token;
}

describe('fleet: one serve, five agents', () => {
  before(async () => {
    mkdirSync(repo, { recursive: true });
    mkdirSync(srv, { recursive: true });
    for (const n of ['p1', 'p2', 'p3', 's1', 's2']) mkdirSync(join(root, 'hosts', n), { recursive: true });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    commit('v1');
    writeFileSync(
      join(srv, 'setpoint.yaml'),
      `sources:\n  - name: main\n    git: { url: "${repo}", ref: main, interval: 1s }\nfleet:\n  checkInterval: 2s\n`,
    );
    await startServe();
    const prod = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=prod', '--uses', '3']);
    const staging = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=staging']);
    assert.equal(prod.status, 0, prod.stderr);
    for (const [name, token] of [
      ['p1', prod.stdout.trim()],
      ['p2', prod.stdout.trim()],
      ['p3', prod.stdout.trim()],
      ['s1', staging.stdout.trim()],
      ['s2', staging.stdout.trim()],
    ]) {
      const a = start([
        'agent',
        '--server',
        url,
        '--enroll-token',
        token,
        '--name',
        name,
        '--state',
        join(root, 'agents', name),
        '--label',
        `rack=${name}`,
      ]);
      agents.set(name, a.child);
    }
  });

  after(async () => {
    killAll();
  });

  it('sends each node only what selects it, and a commit reaches exactly the prod agents', async () => {
    for (const n of ['p1', 'p2', 'p3']) await until(`${n} motd v1`, () => read(host(n, 'motd')) === 'v1\n');
    for (const n of ['s1', 's2']) await until(`${n} role`, () => read(host(n, 'role')) === 'any node\n');
    assert.equal(read(host('s1', 'motd')), undefined);
    assert.equal(statSync(join(root, 'agents', 'p1', 'credential.json')).mode & 0o777, 0o600);
    commit('v2');
    for (const n of ['p1', 'p2', 'p3']) await until(`${n} motd v2`, () => read(host(n, 'motd')) === 'v2\n');
    assert.equal(read(host('s1', 'motd')), undefined);
    assert.equal(read(host('s2', 'motd')), undefined);
  });

  it("ships the files a File's source: and template: name with the set, and a new file content follows", async () => {
    for (const n of ['p1', 'p2', 'p3']) {
      await until(`${n} banner`, () => read(host(n, 'banner')) === 'banner one\n');
      await until(
        `${n} greeting`,
        () => read(host(n, 'greeting')) === `hello operator on ${hostname().split('.')[0]}\n`,
      );
    }
    assert.equal(read(host('s1', 'banner')), undefined);
    // Content-addressed: the agent holds the file under its sha256, and the set names it so.
    const sha = createHash('sha256').update('banner one\n').digest('hex');
    assert.equal(
      readFileSync(join(root, 'agents', 'p1', 'project', 'desired', 'files', sha), 'utf8'),
      'banner one\n',
    );
    // Only the file changes in this commit: the nodes get its new bytes, and the old file is removed.
    banner = 'banner two\n';
    commit('v2');
    for (const n of ['p1', 'p2', 'p3'])
      await until(`${n} banner two`, () => read(host(n, 'banner')) === 'banner two\n');
    await until(
      'the old file removed on p1',
      () => !existsSync(join(root, 'agents', 'p1', 'project', 'desired', 'files', sha)),
    );
  });

  it("repairs a hand edit on one node with that node's agent, and `setpoint nodes` shows it", async () => {
    writeFileSync(host('p2', 'motd'), 'hand edit\n');
    await until('p2 repaired', () => read(host('p2', 'motd')) === 'v2\n');
    const listed = await until('every node reported in sync', () => {
      const l = nodes();
      return l.length === 5 && l.every((n) => n.counts.inSync === n.counts.total && n.counts.total > 0) && l;
    });
    assert.deepEqual(
      listed.map((n) => n.name),
      ['p1', 'p2', 'p3', 's1', 's2'],
    );
    const events = cli(['events', '-n', '500']).stdout;
    assert.match(events, /node p2: .*motd/);
  });

  it('shows one node with --node on status, events, describe, render and plan, locally and with --server', async () => {
    const viewer = cli(['token', 'create', '--name', 'fleet-viewer', '--role', 'viewer']);
    assert.equal(viewer.status, 0, viewer.stderr);
    const token = viewer.stdout.trim().split('\n')[0].trim();
    for (const where of [[], ['--server', url, '--token', token]]) {
      const status = cli(['status', '--node', 'p2', ...where]);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /node p2 .*\n[\s\S]*File\/default\/motd\s+InSync/);
      const events = cli(['events', '--node', 'p2', '-n', '500', ...where]).stdout;
      assert.match(events, /node p2: /);
      assert.doesNotMatch(events, /node p1: /);
      const described = cli(['describe', 'File/motd', '--node', 'p2', '--json', ...where]);
      assert.equal(described.status, 0, described.stderr);
      const d = JSON.parse(described.stdout) as { status: { sync: string }; desired: { content: string } };
      assert.equal(d.status.sync, 'InSync');
      assert.equal(d.desired.content, 'v2\n');
      const rendered = cli(['render', '--node', 's1', ...where]).stdout;
      assert.match(rendered, /name: role/);
      assert.doesNotMatch(rendered, /name: motd/);
      const plan = cli(['plan', '--node', 'p1', '--detailed-exitcode', ...where]);
      assert.equal(plan.status, 0, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /0 to create, 0 to change, 0 to leave the node, 4 unchanged/);
    }
    assert.equal(cli(['status', '--node', 'nobody']).status, 1);
  });

  it('refuses a node token for another node (403), an expired enrolment token and a revoked node (401)', async () => {
    const other = await fetch(`${url}/api/v1/fleet/nodes/p2/desired`, {
      headers: { authorization: `Bearer ${tokenOf('p1')}` },
    });
    assert.equal(other.status, 403);
    const own = await fetch(`${url}/api/v1/fleet/nodes/p1/desired`, {
      headers: { authorization: `Bearer ${tokenOf('p1')}` },
    });
    assert.equal(own.status, 200);
    const asUser = await fetch(`${url}/api/v1/nodes`, {
      headers: { authorization: `Bearer ${tokenOf('p1')}` },
    });
    assert.equal(asUser.status, 403);
    const short = cli(['nodes', 'enroll-token', '--ttl', '1s']).stdout.trim();
    const expires = Date.now() + 1000;
    await until('the enrolment token to expire', () => Date.now() > expires + 50);
    const late = await fetch(`${url}/api/v1/fleet/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: short, name: 'late' }),
    });
    assert.equal(late.status, 401);
    assert.equal(cli(['nodes', 'revoke', 's2']).status, 0);
    const revoked = await fetch(`${url}/api/v1/fleet/nodes/s2/desired`, {
      headers: { authorization: `Bearer ${tokenOf('s2')}` },
    });
    assert.equal(revoked.status, 401);
    // The fleet gauge by state: the revoked node apart, the four others heard from and on the current set.
    const viewer = cli(['token', 'create', '--name', 'fleet-metrics', '--role', 'viewer']).stdout;
    const scrape = async () =>
      (
        await fetch(`${url}/metrics`, {
          headers: { authorization: `Bearer ${viewer.trim().split('\n')[0].trim()}` },
        })
      ).text();
    let metrics = await scrape();
    for (const end = Date.now() + 20_000; !/^setpoint_nodes\{state="online"\} 4$/m.test(metrics);) {
      if (Date.now() > end) break;
      await sleep(200);
      metrics = await scrape();
    }
    assert.match(metrics, /^setpoint_nodes\{state="revoked"\} 1$/m);
    assert.match(metrics, /^setpoint_nodes\{state="online"\} 4$/m);
    assert.match(metrics, /^setpoint_nodes\{state="offline"\} 0$/m);
  });

  it("gives an agent that lost its enrolment's answer a new credential when it retries with the same key; anyone else gets 409", async () => {
    const enrolToken = cli(['nodes', 'enroll-token', '--ttl', '1h']).stdout.trim();
    const enrol = (key?: string) =>
      fetch(`${url}/api/v1/fleet/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify({ token: enrolToken, name: 'lost-answer' }),
      });
    const first = await enrol('key-1');
    assert.equal(first.status, 201);
    const lost = ((await first.json()) as { token: string }).token;
    const again = await enrol('key-1');
    assert.equal(again.status, 201, 'the same agent retrying');
    const kept = ((await again.json()) as { token: string }).token;
    assert.notEqual(kept, lost);
    const desired = (token: string) =>
      fetch(`${url}/api/v1/fleet/nodes/lost-answer/desired`, {
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await desired(kept)).status, 200);
    assert.equal((await desired(lost)).status, 401, 'the lost credential no longer works');
    assert.equal((await enrol('key-2')).status, 409, 'another agent with the same name');
    assert.equal((await enrol()).status, 409, 'no key');
    assert.equal(cli(['nodes', 'revoke', 'lost-answer']).status, 0);
  });

  it('keeps repairing while the server is away, and delivers the buffered reports once each', async () => {
    const port = new URL(url).port;
    await stopServe();
    writeFileSync(host('p3', 'motd'), 'while away\n');
    await until('p3 repaired without the server', () => read(host('p3', 'motd')) === 'v2\n');
    await until('p3 buffered its reports', () => {
      const dir = join(root, 'agents', 'p3', 'reports');
      return existsSync(dir) && spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.includes('.json');
    });
    await startServe(`127.0.0.1:${port}`);
    await until('p3 delivered its reports', () => {
      const dir = join(root, 'agents', 'p3', 'reports');
      return !spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.includes('.json');
    });
    const local = cli(['events', '-n', '1000'], join(root, 'agents', 'p3', 'project')).stdout;
    const repairsOnNode = (local.match(/Remediated/g) ?? []).length;
    const server = cli(['events', '-n', '1000']).stdout;
    const repairsOnServer = (server.match(/Remediated .*node p3:/g) ?? []).length;
    assert.ok(repairsOnNode >= 1);
    assert.equal(repairsOnServer, repairsOnNode);
  });
});
