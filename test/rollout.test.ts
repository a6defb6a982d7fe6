/**
 * Progressive rollouts under a real `setpoint serve` on one host: a Git
 * source whose File resources roll out in steps (a canary group, a gate on an
 * HttpCheck of a real HTTP service, then 100 %). A good revision is promoted
 * through every step; a revision that makes the service unhealthy on the
 * canary is rolled back to the previous revision and never reaches the other
 * groups; pause, resume and promote work from the CLI and the API with RBAC.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, eventually, json, startServe, tempDir, writeFiles } from './helpers.js';
import { call, suiteOwner } from './server-kit.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Alice',
      GIT_AUTHOR_EMAIL: 'alice@example.org',
      GIT_COMMITTER_NAME: 'Alice',
      GIT_COMMITTER_EMAIL: 'alice@example.org',
    },
  })
    .toString()
    .trim();

interface Rollout {
  id: string;
  phase: string;
  step: number;
  from: string;
  to: string;
  pins: Record<string, string>;
  reason?: string;
}

/**
 * The service under change, in its own process (the CLI calls of the test
 * block this one): healthy unless the canary's config says "bad".
 */
const SERVICE = `
const { createServer } = require('node:http');
const { existsSync, readFileSync } = require('node:fs');
const f = process.argv[1];
const path = require('node:path');
const server = createServer((req, res) => {
  if (req.url.startsWith('/api/v1/query')) {
    // A Prometheus instant query: the error rate the test writes to prom.value (0 without one).
    const v = path.join(path.dirname(f), 'prom.value');
    const value = existsSync(v) ? readFileSync(v, 'utf8').trim() : '0';
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] } }),
    );
    return;
  }
  const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
  res.writeHead(text.includes('bad') ? 500 : 200).end(text);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function service(out: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', SERVICE, join(out, 'canary.conf')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.setEncoding('utf8').once('data', (s: string) => resolve(Number(s.trim())));
  });
  return { child, port };
}

/** Three Files (canary, a, b) with the same content, and an HttpCheck of the service outside the rollout. */
function manifests(out: string, port: number, text: string): string {
  const file = (name: string, labels: string) =>
    `kind: File\nmetadata: { name: ${name}, labels: { ${labels} } }\nspec: { path: ${out}/${name}.conf, content: "${text}\\n", mode: "0644" }\n`;
  return [
    file('canary', 'tier: web, role: canary'),
    file('a', 'tier: web'),
    file('b', 'tier: web'),
    `kind: HttpCheck\nmetadata: { name: web }\nspec: { url: "http://127.0.0.1:${port}/", interval: 100ms, timeout: 1s }\n`,
  ].join('---\n');
}

describe('rollout: one host, resource groups, an HttpCheck gate', () => {
  const root = tempDir('setpoint-rollout-');
  const out = join(root, 'out');
  const project = join(root, 'project');
  const work = join(root, 'work');
  let server: ChildProcess;
  let port = 0;
  let apiUrl = '';
  const owner = suiteOwner();
  const tokens: Record<string, string> = {};

  const push = (text: string): string => {
    writeFiles(work, { 'manifests/app.yaml': manifests(out, port, text) });
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', text);
    git(work, 'push', '-q', 'origin', 'main');
    return git(work, 'rev-parse', 'HEAD');
  };
  const read = (name: string) => {
    const f = join(out, `${name}.conf`);
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  };
  /** The latest rollout, asked over HTTP: polled in loops, where a CLI start each time would cost ~1 s of CPU. */
  const rollout = async (): Promise<Rollout | undefined> =>
    (await call<{ items: Rollout[] }>(apiUrl, '/api/v1/rollouts', { token: tokens.viewer })).body.items[0];
  /** The latest rollout as `setpoint rollout status --json` prints it. */
  const rolloutByCli = (): Rollout | undefined =>
    json<Rollout[]>(cli(['rollout', 'status', '--json'], { cwd: project }))[0];

  before(async () => {
    writeFiles(out, { '.keep': '' });
    ({ child: server, port } = await service(out));
    git(root, 'init', '-q', '--bare', 'remote.git');
    git(root, 'init', '-q', '-b', 'main', 'work');
    git(work, 'remote', 'add', 'origin', join(root, 'remote.git'));
    writeFiles(project, {
      'setpoint.yaml':
        `sources:\n  - name: app\n    git: { url: file://${join(root, 'remote.git')}, ref: main, path: manifests, interval: 200ms }\n` +
        'reconcile:\n  resync: 2s\n  backoff: { base: 50ms, max: 2s }\n' +
        'rollouts:\n  - source: app\n    selector: { tier: web }\n    groups:\n      canary: { selector: { role: canary } }\n' +
        '    interval: 100ms\n    progressDeadline: 20s\n    steps:\n      - canary: canary\n' +
        '      - gate:\n          window: 8s\n          checks:\n            - health: HttpCheck/default/web\n' +
        `            - prometheus: { url: "http://127.0.0.1:${port}", query: "sum(rate(errors[1m]))", comparison: "<", threshold: 1 }\n` +
        '      - percent: 100\n',
    });
    for (const role of ['viewer', 'operator', 'approver'])
      tokens[role] = cli(['token', 'create', '--name', role, '--role', role], { cwd: project }).stdout.trim();
  });
  after(() => {
    server.kill();
  });

  test('the first revision is applied everywhere at once', async () => {
    push('v1');
    const serving = await startServe(owner, project, ['--listen', '127.0.0.1:0']);
    const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(serving.stderr());
    assert.ok(m, `serve printed the API address:\n${serving.stderr()}`);
    apiUrl = m[1];
    await eventually(() => ['canary', 'a', 'b'].every((n) => read(n) === 'v1\n'), 'every file at v1', 30_000);
  });

  test('a good revision is promoted through every step', async () => {
    const v2 = push('v2');
    await eventually(() => read('canary') === 'v2\n', 'the canary at v2', 30_000);
    // The gate holds the other groups for its window.
    assert.equal(read('a'), 'v1\n');
    assert.equal(read('b'), 'v1\n');
    await eventually(
      () => ['a', 'b'].every((n) => read(n) === 'v2\n'),
      'every group at v2 after the gate',
      30_000,
    );
    await eventually(async () => (await rollout())?.phase === 'Completed', 'the rollout completed', 10_000);
    // The CLI reads the same rollout from the state.
    const byCli = rolloutByCli();
    assert.equal(byCli?.phase, 'Completed');
    assert.equal(byCli.to, v2.slice(0, 12));
  });

  test('pause and resume (API, CLI) and promote (API, approver) of a rollout in progress', async () => {
    const post = (verb: string, role: string) =>
      call<Rollout>(apiUrl, `/api/v1/rollouts/${verb}`, { method: 'POST', token: tokens[role], body: {} });
    // The canary's gate window (8s) leaves time to act on the rollout.
    const v3 = push('v3').slice(0, 12);
    // Asked over HTTP (milliseconds), not with the CLI (a process start), to act within the window.
    await eventually(
      async () => {
        const r = (await call<{ items: Rollout[] }>(apiUrl, '/api/v1/rollouts', { token: tokens.viewer }))
          .body.items[0];
        return r?.to === v3 && r?.phase === 'Progressing';
      },
      'a rollout of v3',
      30_000,
    );
    const paused = await post('pause', 'operator');
    assert.equal(paused.status, 200, paused.text);
    // The answer is the rollout after the pause, not a write of it made meanwhile by a gate check.
    assert.equal(paused.body.phase, 'Paused', paused.text);
    assert.equal((await rollout())?.phase, 'Paused');
    // plan shows which actions the paused rollout holds, with the generic hold model (kind rollout).
    const plan = cli(['plan', '--json'], { cwd: project });
    assert.equal(plan.code, 0, plan.stderr);
    const held = json<{
      actions: Array<{ id: string; op: string; hold?: { kind: string; reason: string } }>;
    }>(plan).actions.find((x) => x.id === 'File/default/a');
    assert.equal(held?.hold?.kind, 'rollout', JSON.stringify(held));
    assert.match(held.hold.reason, /is paused at step/);
    assert.match(cli(['plan'], { cwd: project }).stdout, /held by rollout step app /);
    assert.equal(read('a'), 'v2\n', 'a paused rollout promotes nothing more');
    const resumed = cli(['rollout', 'resume'], { cwd: project });
    assert.equal(resumed.code, 0, resumed.stderr);
    await eventually(async () => (await rollout())?.phase !== 'Paused', 'the rollout resumed', 10_000);
    await eventually(async () => {
      const now = (await rollout())!;
      if (now.phase === 'Completed') return true;
      const promoted = await post('promote', 'approver');
      return promoted.status === 200 || (await rollout())!.phase === 'Completed';
    }, 'promoted by an approver');
    await eventually(
      async () => (await rollout())?.phase === 'Completed',
      'the promoted rollout completed',
      30_000,
    );
    assert.deepEqual(['canary', 'a', 'b'].map(read), ['v3\n', 'v3\n', 'v3\n']);
  });

  test('a revision that fails the gate on the canary is rolled back there and never reaches the others', async () => {
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      for (const n of ['a', 'b']) seen.add(read(n) ?? '');
    }, 20);
    try {
      push('bad');
      await eventually(
        async () => (await rollout())?.phase === 'RolledBack',
        'the rollout rolled back',
        30_000,
      );
      await eventually(() => read('canary') === 'v3\n', 'the canary back at v3', 10_000);
    } finally {
      clearInterval(watcher);
    }
    assert.ok(!seen.has('bad\n'), 'the other groups never ran the bad revision');
    assert.equal(read('a'), 'v3\n');
    assert.equal(read('b'), 'v3\n');
    assert.match((await rollout())!.reason ?? '', /HttpCheck\/default\/web/);

    const history = cli(['history'], { cwd: project });
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /RolledBack/);
    const audit = cli(['audit', '--json'], { cwd: project });
    assert.match(audit.stdout, /rollout\.rollback|rollout\.rolledBack|rollout\.rolled-back/i);
  });

  test('a Prometheus check over its threshold fails the gate and rolls the canary back', async () => {
    // The rollback above pinned the source at v3: unpinned, the latest revision rolls out.
    writeFiles(out, { 'prom.value': '0' });
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      for (const n of ['a', 'b']) seen.add(read(n) ?? '');
    }, 20);
    try {
      const v4 = push('v4').slice(0, 12);
      const unpinned = cli(['unpin', 'app'], { cwd: project });
      assert.equal(unpinned.code, 0, unpinned.stderr);
      await eventually(
        async () => (await rollout())?.to === v4 && read('canary') === 'v4\n',
        'the canary at v4',
        30_000,
      );
      writeFiles(out, { 'prom.value': '7' });
      await eventually(
        async () => (await rollout())?.phase === 'RolledBack',
        'the rollout rolled back',
        30_000,
      );
      await eventually(() => read('canary') === 'v3\n', 'the canary back at v3', 10_000);
    } finally {
      clearInterval(watcher);
      writeFiles(out, { 'prom.value': '0' });
    }
    assert.ok(!seen.has('v4\n'), 'the other groups never ran v4');
    assert.match(
      (await rollout())!.reason ?? '',
      /prometheus sum\(rate\(errors\[1m\]\)\) < 1: value 7 fails < 1/,
    );
  });

  test('abort returns every target to the previous revision, audited', async () => {
    const v5 = push('v5').slice(0, 12);
    const unpinned = cli(['unpin', 'app'], { cwd: project });
    assert.equal(unpinned.code, 0, unpinned.stderr);
    await eventually(
      async () => {
        const r = await rollout();
        return r?.to === v5 && r.phase === 'Progressing' && read('canary') === 'v5\n';
      },
      'the canary at v5',
      30_000,
    );
    const aborted = cli(['rollout', 'abort'], { cwd: project });
    assert.equal(aborted.code, 0, aborted.stderr);
    await eventually(async () => (await rollout())?.phase === 'Aborted', 'the rollout aborted', 10_000);
    await eventually(
      () => ['canary', 'a', 'b'].every((n) => read(n) === 'v3\n'),
      'every target back at v3',
      10_000,
    );
    assert.match((await rollout())!.reason ?? '', /aborted by /);
    const status = cli(['status'], { cwd: project });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /rollout of app: Aborted, revision \w{8} -> \w{8}: aborted by /);
    assert.equal(
      json<{ rollouts: Rollout[] }>(cli(['status', '--json'], { cwd: project })).rollouts[0].phase,
      'Aborted',
    );
    const audit = json<Array<{ action: string; result: string; detail?: { rollout?: string } }>>(
      cli(['audit', '--json', '-n', '1000'], { cwd: project }),
    );
    const id = (await rollout())!.id;
    assert.ok(audit.some((a) => a.action === 'rollout.abort' && a.detail?.rollout === id));
    assert.ok(
      audit.some(
        (a) => a.action === 'rollout.rollback' && a.result === 'aborted' && a.detail?.rollout === id,
      ),
    );
  });

  test('status needs a viewer; pause, resume and abort an operator; promote an approver', async () => {
    // A kept-alive connection the server closed meanwhile fails once: ask again.
    const a = await eventually(() => call(apiUrl, '/api/v1/rollouts', { token: tokens.viewer }), 'an answer');
    assert.equal(a.status, 200);
    const denied = await call(apiUrl, '/api/v1/rollouts/pause', {
      method: 'POST',
      token: tokens.viewer,
      body: {},
    });
    assert.equal(denied.status, 403);
    const promote = await call(apiUrl, '/api/v1/rollouts/promote', {
      method: 'POST',
      token: tokens.operator,
      body: {},
    });
    assert.equal(promote.status, 403);
    // Nothing in progress: a clear refusal, not a success.
    const none = await call(apiUrl, '/api/v1/rollouts/pause', {
      method: 'POST',
      token: tokens.operator,
      body: {},
    });
    assert.equal(none.status, 409);
    const r = cli(['rollout', 'pause'], { cwd: project });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no rollout of source app is in progress/);
  });
});
