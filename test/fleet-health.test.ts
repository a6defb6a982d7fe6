/**
 * The fleet's health end to end: one `setpoint serve --listen` over a real Git
 * source, one real `setpoint agent` (owner=team-a) and one node this test
 * plays over the real HTTP protocol, reporting that it still holds an old set.
 * A watch stream (GET /api/v1/watch) sees both enrol and report, with their
 * state; NodeBehind fires for the stale node only after `fleet.behindAfter`, never
 * for the agent that took the set; the agent killed, NodeOffline fires for it
 * with its owner; the stale node falling silent turns its NodeBehind into a
 * NodeOffline.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fleetKit } from './fleet-kit.js';

// Long enough for a1 to take its first set on a loaded machine (it must never be behind).
const BEHIND_AFTER_MS = 8000;
// Offline is 3 check intervals without a report: 3 s keeps a live agent from
// looking offline while a loaded machine delays it for a few seconds.
const CHECK_INTERVAL_S = 3;
const OFFLINE_WAIT_MS = 3 * CHECK_INTERVAL_S * 1000 + 20_000;
const { root, repo, srv, cli, start, until, git, killAll } = fleetKit('setpoint-fleet-alerts-', 20_000);

interface Incident {
  rule: string;
  state: string;
  labels: Record<string, string>;
  activeAt: string;
  startsAt: string;
  annotations: { summary: string };
}

function alerts(): Incident[] {
  const r = cli(['alerts', '--all', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Incident[]).filter((a) => a.rule.startsWith('Node'));
}

const find = (rule: string, node: string, state = 'firing') =>
  alerts().find((a) => a.rule === rule && a.labels.node === node && a.state === state);

let url = '';
let agent: ChildProcess;
let stale: ChildProcess | undefined;

/** Plays node `stale`: enrols, then reports (from STALE_REPORTER) that it holds a set the server never sent. */
async function enrolStale(token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/fleet/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name: 'stale', agentVersion: 'test' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { token: nodeToken } = (await res.json()) as { token: string };
  // The reports come from a child process: this one blocks its event loop
  // for seconds on every (synchronous) CLI call, which on a loaded machine
  // starved an in-process reporter until the node looked offline.
  stale = spawn(process.execPath, ['--input-type=module', '-e', STALE_REPORTER], {
    env: { ...process.env, URL: url, NODE_TOKEN: nodeToken },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Plays the stale node's agent: reports every 300 ms, and sends a report again (same id) when it did not get through. */
const STALE_REPORTER = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; ) {
  const res = await fetch(process.env.URL + '/api/v1/fleet/nodes/stale/reports', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + process.env.NODE_TOKEN },
    body: JSON.stringify({
      id: 'stale-' + i, createdAt: new Date().toISOString(), agentVersion: 'test',
      digest: 'sha256:an-old-set', revision: 'an-old-revision',
      events: [], episodes: [], audit: [], dropped: 0,
    }),
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  if (res?.status === 200) i++;
  else if (res) console.error('stale report refused: ' + res.status + ' ' + (await res.text()));
  await sleep(300);
}
`;

interface NodeMessage {
  node: string;
  change: string;
  appliedRevision?: string;
  behind: boolean;
  labels: Record<string, string>;
}
const watched: NodeMessage[] = [];
const watching = new AbortController();

/** Reads the watch stream in the background, keeping its `node` messages. */
async function watch(token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/watch`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: watching.signal,
  });
  assert.equal(res.status, 200);
  const decoder = new TextDecoder();
  let text = '';
  let hello = false;
  const reading = (async () => {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        if (/^event: hello$/m.test(block)) hello = true;
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: node$/m.test(block) && data) watched.push(JSON.parse(data) as NodeMessage);
      }
    }
  })().catch(() => undefined); // aborted at the end
  void reading;
  await until('the watch stream to start', () => hello);
}

describe('fleet health: node messages on the watch stream, NodeBehind after fleet.behindAfter, NodeOffline', () => {
  before(async () => {
    mkdirSync(repo, { recursive: true });
    mkdirSync(srv, { recursive: true });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    writeFileSync(
      join(repo, 'motd.yaml'),
      `kind: File\nmetadata:\n  name: motd\nspec:\n  path: "${root}/hosts/\${facts.node.name}/motd"\n  content: "v1\\n"\nnodeSelector:\n  matchExpressions:\n    - { key: env, operator: Exists }\n`,
    );
    git('add', '-A');
    git('commit', '-qm', 'v1');
    writeFileSync(
      join(srv, 'setpoint.yaml'),
      `sources:\n  - name: main\n    git: { url: "${repo}", ref: main, interval: 1s }\n` +
        `fleet:\n  checkInterval: ${CHECK_INTERVAL_S}s\n  behindAfter: ${BEHIND_AFTER_MS}ms\nalerts:\n  evaluationInterval: 250ms\n`,
    );
    const serve = start(['serve', '--listen', '127.0.0.1:0']);
    url = await until('serve to listen', () => /API on (http:\/\/\S+) /.exec(serve.output())?.[1]);
    const viewer = cli(['token', 'create', '--name', 'watcher', '--role', 'viewer']);
    assert.equal(viewer.status, 0, viewer.stderr);
    await watch(viewer.stdout.trim().split('\n')[0].trim());
    const enrol = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=prod', '--uses', '2']);
    assert.equal(enrol.status, 0, enrol.stderr);
    const token = enrol.stdout.trim();
    agent = start([
      'agent',
      '--server',
      url,
      '--enroll-token',
      token,
      '--name',
      'a1',
      '--state',
      join(root, 'agents', 'a1'),
      '--label',
      'owner=team-a',
    ]).child;
    mkdirSync(join(root, 'hosts', 'a1'), { recursive: true });
    await enrolStale(token);
  });

  after(async () => {
    watching.abort();
    stale?.kill('SIGKILL');
    killAll();
  });

  it('streams a `node` message when a node enrols and when it reports, with its state', async () => {
    const seen = (node: string, f: (m: NodeMessage) => boolean) =>
      watched.find((m) => m.node === node && f(m));
    await until('a1 and stale enrolled', () =>
      ['a1', 'stale'].every((n) => seen(n, (m) => m.change === 'enrolled')),
    );
    assert.deepEqual(seen('a1', (m) => m.change === 'enrolled')?.labels, { owner: 'team-a', env: 'prod' });
    const stale = await until('a report of stale', () => seen('stale', (m) => m.change === 'reported'));
    assert.equal(stale.appliedRevision, 'an-old-revision');
    assert.equal(stale.behind, true);
    await until('a1 reported its set applied', () =>
      seen('a1', (m) => m.change === 'reported' && m.appliedRevision !== undefined && !m.behind),
    );
    assert.equal(JSON.stringify(watched).includes('token'), false);
  });

  it('raises NodeBehind for a node still on an old set after fleet.behindAfter, not for the one that took the set', async () => {
    const motd = join(root, 'hosts', 'a1', 'motd');
    await until('a1 to apply its set', () => existsSync(motd) && readFileSync(motd, 'utf8') === 'v1\n');
    const behind = await until('NodeBehind for stale', () => find('NodeBehind', 'stale'));
    assert.ok(
      Date.parse(behind.startsAt) - Date.parse(behind.activeAt) >= BEHIND_AFTER_MS,
      `fired ${Date.parse(behind.startsAt) - Date.parse(behind.activeAt)} ms after the condition was seen`,
    );
    assert.equal(behind.labels.owner, 'unowned');
    assert.match(
      behind.annotations.summary,
      /node stale is behind: it holds the set of revision an-old-revision/,
    );
    assert.deepEqual(
      alerts().filter((a) => a.labels.node === 'a1'),
      [],
    );
  });

  it('raises NodeOffline for a killed agent, to its owner; a silent node behind becomes offline', async () => {
    agent.kill('SIGKILL');
    const offline = await until('NodeOffline for a1', () => find('NodeOffline', 'a1'), OFFLINE_WAIT_MS);
    assert.equal(offline.labels.owner, 'team-a');
    assert.match(offline.annotations.summary, /node a1 is offline \(last heard from .+ ago\)/);
    stale?.kill('SIGKILL');
    await until('NodeOffline for stale', () => find('NodeOffline', 'stale'), OFFLINE_WAIT_MS);
    await until('NodeBehind for stale resolved', () => find('NodeBehind', 'stale', 'resolved'));
  });
});
