/**
 * The Git push webhook and source pins over HTTP, with a real Git remote
 * (polled only hourly, so only the webhook makes serve fetch): a bad or
 * missing signature is refused; a good GitHub, GitLab or generic one
 * triggers a sync that brings the pushed commit; pin/unpin roll back and
 * forward, audited with the token's name. This project also serves
 * /metrics publicly.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { eventually, tempDir, writeFiles } from './helpers.js';
import { project, type Project } from './serve-kit.js';
import { assertError, call, createToken, startApi, suiteOwner, type ApiServing } from './server-kit.js';

const SECRET = 'webhook-secret-for-tests';
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
const sign = (body: string) => 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');

describe('HTTP API: Git push webhook and pins', () => {
  let p: Project;
  let api: ApiServing;
  let work: string;
  let out: string;
  let operator: string;
  let admin: string;
  const owner = suiteOwner();
  const commits: string[] = [];
  const greeting = () =>
    existsSync(join(out, 'greeting.txt')) ? readFileSync(join(out, 'greeting.txt'), 'utf8') : undefined;
  const push = (text: string) => {
    writeFiles(work, {
      'manifests/app.yaml': `kind: File\nmetadata: { name: greeting }\nspec:\n  path: ${out}/greeting.txt\n  content: "${text}\\n"\n`,
    });
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', `say ${text}`);
    git(work, 'push', '-q', 'origin', 'main');
    const sha = git(work, 'rev-parse', 'HEAD');
    commits.push(sha);
    return sha;
  };
  const hook = (body: string, headers: Record<string, string>) =>
    call(api.url, '/api/v1/webhooks/git', { body, headers });
  const payload = (sha: string) =>
    JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { full_name: 'team/app' } });

  before(async () => {
    const root = tempDir('setpoint-webhook-');
    out = join(root, 'out');
    git(root, 'init', '-q', '--bare', 'remote.git');
    git(root, 'init', '-q', '-b', 'main', 'work');
    work = join(root, 'work');
    git(work, 'remote', 'add', 'origin', join(root, 'remote.git'));
    execFileSync('mkdir', ['-p', out]);
    push('one');
    p = project(
      {},
      [
        'sources:',
        `  - name: app`,
        `    git: { url: file://${join(root, 'remote.git')}, ref: main, path: manifests, interval: 1h }`,
        'server:',
        '  metrics: public',
        '  authFailures: { burst: 1000 }',
        '  webhook:',
        '    secretRef: { env: SETPOINT_TEST_WEBHOOK_SECRET }',
        '',
      ].join('\n'),
    );
    operator = createToken(p, 'deployer', 'operator');
    admin = createToken(p, 'admin', 'admin');
    api = await startApi(owner, p, [], { env: { SETPOINT_TEST_WEBHOOK_SECRET: SECRET } });
    await eventually(() => greeting() === 'one\n', 'the first commit applied');
  });

  it('refuses a push with a bad, missing or foreign signature (401) and does not sync', async () => {
    const sha = push('two');
    const body = payload(sha);
    const wrong = 'sha256=' + createHmac('sha256', 'not-the-secret').update(body).digest('hex');
    const variants: Array<Record<string, string>> = [
      { 'x-hub-signature-256': wrong },
      { 'x-hub-signature-256': 'sha256=' },
      { 'x-gitlab-token': 'not-the-secret' },
      { 'x-setpoint-signature': wrong },
      {},
    ];
    for (const headers of variants) {
      const r = assertError(await hook(body, headers), 401, 'SETPOINT_UNAUTHENTICATED');
      assert.match(r.error.message, /^webhook refused: /);
    }
    // The signature covers the exact bytes: the right signature of another body is refused.
    assertError(
      await hook(body + ' ', { 'x-hub-signature-256': sign(body) }),
      401,
      'SETPOINT_UNAUTHENTICATED',
    );
    const audit = await call<{ items: Array<{ actor: string }> }>(
      api.url,
      '/api/v1/audit?action=sync.request',
      { token: admin },
    );
    assert.deepEqual(
      audit.body.items.filter((e) => e.actor.startsWith('webhook:')),
      [],
      'no sync was requested',
    );
    const sources = await call<{ items: Array<{ name: string; current?: string }> }>(
      api.url,
      '/api/v1/sources',
      { token: operator },
    );
    assert.equal(sources.body.items[0].current, commits[0].slice(0, 12), 'still at the first commit');
  });

  it('a GitHub-signed push triggers a sync: the pushed commit is admitted and applied; audited with the commit', async () => {
    const sha = commits[commits.length - 1];
    const r = await hook(payload(sha), {
      'x-hub-signature-256': sign(payload(sha)),
      'x-github-event': 'push',
    });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body, { accepted: true, provider: 'github' });
    await eventually(() => greeting() === 'two\n', 'the pushed commit applied');
    const audit = await call<{ items: Array<{ actor: string; detail?: Record<string, string> }> }>(
      api.url,
      '/api/v1/audit?action=sync.request',
      { token: admin },
    );
    const entry = audit.body.items.find((e) => e.actor === 'webhook:github');
    assert.deepEqual(entry?.detail, {
      via: 'webhook',
      event: 'push',
      ref: 'refs/heads/main',
      commit: sha,
      repository: 'team/app',
    });
  });

  it('GitLab (X-Gitlab-Token) and generic (X-Setpoint-Signature) pushes are accepted too', async () => {
    const three = push('three');
    const gl = await hook(payload(three), { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook' });
    assert.equal(gl.status, 202, gl.text);
    assert.equal((gl.body as { provider: string }).provider, 'gitlab');
    await eventually(() => greeting() === 'three\n', 'the GitLab push applied');
    const four = push('four');
    const generic = await hook(payload(four), { 'x-setpoint-signature': sign(payload(four)) });
    assert.equal(generic.status, 202, generic.text);
    await eventually(() => greeting() === 'four\n', 'the generic push applied');
  });

  it('pin rolls the source back to a revision and unpin follows the branch again, audited with the token name', async () => {
    const viewer = createToken(p, 'watcher', 'viewer');
    assertError(
      await call(api.url, '/api/v1/sources/app/pin', {
        token: viewer,
        body: { revision: commits[0].slice(0, 8) },
      }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    const pinned = await call<{ id: string; commit: string }>(api.url, '/api/v1/sources/app/pin', {
      token: operator,
      body: { revision: commits[0].slice(0, 8) },
    });
    assert.equal(pinned.status, 200, pinned.text);
    assert.equal(pinned.body.commit, commits[0]);
    await eventually(() => greeting() === 'one\n', 'the pinned revision applied');
    const sources = await call<{ items: Array<{ name: string; pinned?: string; pinnedBy?: string }> }>(
      api.url,
      '/api/v1/sources',
      { token: viewer },
    );
    assert.equal(sources.body.items[0].pinnedBy, 'deployer');
    assertError(
      await call(api.url, '/api/v1/sources/app/pin', { token: operator, body: { revision: 'ffffffffffff' } }),
      404,
      'SETPOINT_UNKNOWN_REVISION',
    );
    assertError(
      await call(api.url, '/api/v1/sources/nope/unpin', { token: operator, method: 'POST' }),
      404,
      'SETPOINT_NOT_FOUND',
    );
    const unpinned = await call(api.url, '/api/v1/sources/app/unpin', { token: operator, method: 'POST' });
    assert.equal(unpinned.status, 200, unpinned.text);
    await eventually(() => greeting() === 'four\n', 'the branch head applied again');
    assertError(
      await call(api.url, '/api/v1/sources/app/unpin', { token: operator, method: 'POST' }),
      409,
      'SETPOINT_NOT_PINNED',
    );
    const audit = await call<{ items: Array<{ actor: string; action: string }> }>(
      api.url,
      '/api/v1/audit?limit=1000',
      { token: admin },
    );
    assert.ok(audit.body.items.some((e) => e.action === 'source.pin' && e.actor === 'deployer'));
    assert.ok(audit.body.items.some((e) => e.action === 'source.unpin' && e.actor === 'deployer'));
  });

  it("POST /api/v1/sync fetches now and answers each source's admission", async () => {
    const five = push('five');
    const r = await call<{
      items: Array<{ source: string; revision: { commit: string; admitted: boolean }; known: boolean }>;
    }>(api.url, '/api/v1/sync', { token: operator, body: {} });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items[0].source, 'app');
    assert.equal(r.body.items[0].revision.commit, five);
    assert.equal(r.body.items[0].revision.admitted, true);
    await eventually(() => greeting() === 'five\n', 'the synced commit applied');
  });

  it('serves /metrics without a token when server.metrics is public', async () => {
    const m = await call(api.url, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.text, /^setpoint_revisions_total\{result="admitted"\} \d+$/m);
  });
});
