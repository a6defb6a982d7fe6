/**
 * `setpoint serve` following a Git source across restarts (issue 10, defect 1):
 * the state serve starts from comes from the store for every source, so a
 * changed resource whose dependency did not change is applied, whether the
 * dependency was last applied by a one-shot `apply` or by an earlier serve.
 * And a one-shot `apply` while serve runs is refused at once, pointing to
 * `setpoint sync` (serve owns the state and applies the sources itself).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cli, eventually, json, startServe, tempDir, writeFiles } from './helpers.js';

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

/** A bare remote, a clone to push from, and a project following the remote (source "app"). */
function gitProject(interval = '1s') {
  const root = tempDir('setpoint-gitops-');
  const out = join(root, 'out');
  git(root, 'init', '-q', '--bare', 'remote.git');
  git(root, 'init', '-q', '-b', 'main', 'work');
  const work = join(root, 'work');
  git(work, 'remote', 'add', 'origin', join(root, 'remote.git'));
  // The File depends on the Directory (explicitly, and by its path); only the File changes between commits.
  const manifest = (text: string) =>
    `kind: Directory\nmetadata: { name: out }\nspec: { path: ${out}, mode: "0755" }\n---\n` +
    `kind: File\nmetadata: { name: greeting }\nspec:\n  path: ${out}/greeting.txt\n  content: "${text}\\n"\n  mode: "0644"\ndependsOn: [Directory/default/out]\n`;
  const push = (text: string) => {
    writeFiles(work, { 'manifests/app.yaml': manifest(text) });
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', text);
    git(work, 'push', '-q', 'origin', 'main');
  };
  const project = join(root, 'project');
  writeFiles(project, {
    'setpoint.yaml':
      `sources:\n  - name: app\n    git: { url: file://${join(root, 'remote.git')}, ref: main, path: manifests, interval: ${interval} }\n` +
      'reconcile:\n  resync: 2s\n  backoff: { base: 50ms, max: 2s }\n',
  });
  const greeting = () => {
    const f = join(out, 'greeting.txt');
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  };
  const status = () =>
    json<{ resources: Array<{ id: string; sync: string; conditions?: Array<{ reason: string }> }> }>(
      cli(['status', '--json'], { cwd: project }),
    ).resources;
  return { project, push, greeting, status };
}

describe('serve: Git source across restarts', () => {
  test('a changed resource whose dependency did not change is applied after apply -> serve and after a serve restart', async (t) => {
    const p = gitProject();
    p.push('one');
    const apply = cli(['apply', '--yes'], { cwd: p.project });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(p.greeting(), 'one\n');

    // 1. One-shot apply, then serve: only the File changed while nothing ran.
    p.push('two');
    const first = await startServe(t, p.project);
    await eventually(
      () => p.greeting() === 'two\n',
      'the pushed change to be applied by the first serve',
      30_000,
    );
    await eventually(
      () => p.status().every((r) => r.sync === 'InSync') && p.status().length === 2,
      'both resources in sync',
      30_000,
    );

    // 2. serve stopped, a new commit pushed meanwhile, serve started again.
    const stopped = await first.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    p.push('three');
    await startServe(t, p.project);
    await eventually(
      () => p.greeting() === 'three\n',
      'the change pushed while serve was down to be applied',
      30_000,
    );
    await eventually(
      () => p.status().every((r) => r.sync === 'InSync'),
      'everything in sync after the restart',
      30_000,
    );
  });

  test('apply while serve runs is refused at once, pointing to `setpoint sync`, which makes serve apply the pushed commit', async (t) => {
    // Polled hourly: only `setpoint sync` brings the new commit in during the test.
    const p = gitProject('1h');
    p.push('one');
    await startServe(t, p.project);
    await eventually(() => p.greeting() === 'one\n', 'the first convergence', 30_000);
    p.push('two');

    // Waiting for serve would be pointless (it never finishes): refused at once, whatever --lock-timeout says.
    const apply = cli(['apply', '--yes', '--lock-timeout', '10m'], { cwd: p.project });
    assert.equal(apply.code, 1, apply.stdout);
    assert.match(apply.stderr, /error: the state is locked by another run: serve, pid \d+/);
    assert.match(
      apply.stderr,
      /hint: setpoint serve converges this state itself: run `setpoint sync` to make it fetch the sources and reconcile everything now/,
    );
    assert.equal(p.greeting(), 'one\n', 'the refused apply changed nothing');

    // The hint works: serve fetches, admits and applies the commit.
    const sync = cli(['sync'], { cwd: p.project });
    assert.equal(sync.code, 0, sync.stderr);
    await eventually(() => p.greeting() === 'two\n', 'serve to apply the synced commit', 30_000);
  });
});
