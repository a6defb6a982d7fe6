// Git as the source of truth, with real repositories (a bare remote and a working clone):
// sync and serve pick commits up, a broken commit is refused as a whole, rollback pins and
// survives new commits, signed commits and signed folders are verified, ownership across sources.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, cliSpawn, json, tempDir, waitFor, writeFiles } from './helpers.js';

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

/** A bare remote, a working clone with a manifests folder, and a project following the remote. */
function gitProject(options: { verify?: string } = {}) {
  const root = tempDir();
  const out = join(root, 'out');
  git(root, 'init', '-q', '--bare', 'remote.git');
  git(root, 'init', '-q', '-b', 'main', 'work');
  const work = join(root, 'work');
  git(work, 'remote', 'add', 'origin', join(root, 'remote.git'));
  const manifest = (text: string) =>
    `kind: Directory\nmetadata: { name: out }\nspec: { path: ${out} }\n---\nkind: File\nmetadata: { name: greeting }\nspec:\n  path: ${out}/greeting.txt\n  content: "${text}\\n"\n`;
  const commit = (text: string, message: string, extra: string[] = []) => {
    writeFiles(work, { 'manifests/app.yaml': manifest(text) });
    git(work, 'add', '-A');
    git(work, ...extra, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', 'main');
    return git(work, 'rev-parse', 'HEAD');
  };
  const project = join(root, 'project');
  writeFiles(project, {
    'setpoint.yaml': `sources:\n  - name: app\n    git: { url: file://${join(root, 'remote.git')}, ref: main, path: manifests, interval: 1s }\n${options.verify ? `    verify: ${options.verify}\n` : ''}`,
  });
  return {
    root,
    work,
    project,
    out,
    commit,
    greeting: () =>
      existsSync(join(out, 'greeting.txt')) ? readFileSync(join(out, 'greeting.txt'), 'utf8') : undefined,
  };
}

describe('git sources', () => {
  it('sync admits a commit; apply converges to it; history shows the commit, its author and the lead time', () => {
    const p = gitProject();
    const sha = p.commit('one', 'first version');
    const sync = cli(['sync'], { cwd: p.project });
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(
      sync.stdout,
      new RegExp(
        `admitted app: revision ${sha.slice(0, 12)}, commit ${sha.slice(0, 12)} \\(first version\\)`,
      ),
    );
    const apply = cli(['apply', '--yes'], { cwd: p.project });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(p.greeting(), 'one\n');
    const history = json<{
      revisions: Array<{
        id: string;
        commit?: string;
        author?: string;
        admitted: boolean;
        convergedAt?: string;
        committedAt?: string;
      }>;
    }>(cli(['history', '--json'], { cwd: p.project }));
    const rev = history.revisions.find((r) => r.commit === sha)!;
    assert.equal(rev.admitted, true);
    assert.match(rev.author!, /Alice/);
    assert.ok(rev.convergedAt && rev.committedAt, 'converged and committed times recorded (lead time)');
  });

  it('a commit with a schema error is refused as a whole: nothing of it applies, the previous revision stays', () => {
    const p = gitProject();
    p.commit('one', 'good');
    assert.equal(cli(['sync'], { cwd: p.project }).code, 0);
    assert.equal(cli(['apply', '--yes'], { cwd: p.project }).code, 0);
    // The broken commit also changes the greeting: that change must not be applied.
    writeFiles(p.work, {
      'manifests/app.yaml': `kind: File\nmetadata: { name: greeting }\nspec:\n  path: ${p.out}/greeting.txt\n  content: "two\\n"\n---\nkind: File\nmetadata: { name: broken }\nspec: { path: ${p.out}/b.txt, mode: 644 }\n`,
    });
    git(p.work, 'commit', '-qam', 'broken');
    git(p.work, 'push', '-q', 'origin', 'main');
    const sync = cli(['sync'], { cwd: p.project });
    assert.equal(sync.code, 1);
    assert.match(sync.stderr, /File\/default\/broken: spec\.mode: wrong type/);
    assert.match(
      sync.stdout,
      /refused app: commit [0-9a-f]{12} \(broken\); the previous revision stays in force/,
    );
    const apply = cli(['apply', '--yes'], { cwd: p.project });
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /changed: 0/);
    assert.equal(p.greeting(), 'one\n');
    assert.equal(existsSync(join(p.out, 'b.txt')), false);
  });

  it('rollback pins the source while new commits are admitted but not applied; unpin follows the branch again', () => {
    const p = gitProject();
    const first = p.commit('one', 'v1');
    cli(['sync'], { cwd: p.project });
    p.commit('two', 'v2');
    cli(['sync'], { cwd: p.project });
    assert.equal(cli(['apply', '--yes'], { cwd: p.project }).code, 0);
    assert.equal(p.greeting(), 'two\n');

    const rb = cli(['rollback', first.slice(0, 8)], { cwd: p.project });
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stdout, /pinned app to revision/);
    assert.equal(cli(['apply', '--yes'], { cwd: p.project }).code, 0);
    assert.equal(p.greeting(), 'one\n');

    const third = p.commit('three', 'v3');
    const sync = cli(['sync'], { cwd: p.project });
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, new RegExp(`admitted app: revision ${third.slice(0, 12)}`));
    assert.equal(cli(['apply', '--yes'], { cwd: p.project }).code, 0);
    assert.equal(p.greeting(), 'one\n', 'still pinned after a new commit');
    const sources = json<Array<{ name: string; pinned?: string; current?: string }>>(
      cli(['sources', '--json'], { cwd: p.project }),
    );
    assert.equal(sources[0].pinned, first.slice(0, 12));
    assert.equal(sources[0].current, third.slice(0, 12));
    const audit = cli(['audit', '--json'], { cwd: p.project });
    if (audit.code === 0) assert.match(audit.stdout, /source\.pin/);

    assert.equal(cli(['unpin'], { cwd: p.project }).code, 0);
    assert.equal(cli(['apply', '--yes'], { cwd: p.project }).code, 0);
    assert.equal(p.greeting(), 'three\n');
  });

  it('serve picks up a pushed commit by itself', async () => {
    const p = gitProject();
    p.commit('one', 'v1');
    const child = cliSpawn(['serve'], { cwd: p.project });
    try {
      await waitFor(() => p.greeting() === 'one\n', 'first convergence', 20_000);
      p.commit('two', 'v2');
      await waitFor(() => p.greeting() === 'two\n', 'the new commit applied', 20_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('signed desired state', () => {
  function sshKeys(root: string, name: string): { key: string; signers: string } {
    const key = join(root, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key, '-C', name]);
    const signers = join(root, `${name}.allowed`);
    writeFileSync(signers, `alice@example.org ${readFileSync(`${key}.pub`, 'utf8')}`);
    return { key, signers };
  }
  const signed = (key: string) => [
    '-c',
    'gpg.format=ssh',
    '-c',
    `user.signingkey=${key}`,
    '-c',
    'commit.gpgsign=true',
  ];

  it('admits commits signed by an allowed SSH key; refuses unsigned and wrong-key commits', () => {
    const root = tempDir();
    const good = sshKeys(root, 'good');
    const bad = sshKeys(root, 'bad');
    const p = gitProject({ verify: `{ allowedSigners: ${good.signers} }` });
    p.commit('one', 'signed by good', signed(good.key));
    const ok = cli(['sync'], { cwd: p.project });
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /admitted app/);

    p.commit('two', 'unsigned');
    const unsigned = cli(['sync'], { cwd: p.project });
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /not signed/);

    p.commit('three', 'signed by bad', signed(bad.key));
    const wrong = cli(['sync'], { cwd: p.project });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /signed by a key that is not trusted|bad signature/);

    // Nothing unsigned was applied: apply converges to the signed revision.
    assert.equal(cli(['apply', '--yes'], { cwd: p.project }).code, 0);
    assert.equal(p.greeting(), 'one\n');
  });

  it('an ed25519-signed folder is admitted; a one-byte change is refused until signed again', () => {
    const root = tempDir();
    const out = join(root, 'out');
    writeFiles(root, {
      'project/setpoint.yaml':
        'sources:\n  - name: site\n    path: manifests\n    verify: { publicKey: keys/setpoint.pub }\n',
      'project/manifests/a.yaml': `kind: Directory\nmetadata: { name: out }\nspec: { path: ${out} }\n---\nkind: File\nmetadata: { name: a }\nspec: { path: ${out}/a.txt, content: "signed\\n" }\n`,
    });
    const project = join(root, 'project');
    assert.equal(cli(['keygen', '--out', 'keys'], { cwd: project }).code, 0);
    const unsignedPlan = cli(['plan'], { cwd: project });
    assert.equal(unsignedPlan.code, 1);
    assert.match(unsignedPlan.stderr, /not signed/);

    const sign = cli(['sign', 'manifests', '--key', 'keys/setpoint.key'], { cwd: project });
    assert.equal(sign.code, 0, sign.stderr);
    const apply = cli(['apply', '--yes'], { cwd: project });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), 'signed\n');

    appendFileSync(join(project, 'manifests', 'a.yaml'), ' ');
    const tampered = cli(['apply', '--yes'], { cwd: project });
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /changed after it was signed/);
  });
});

describe('ownership across sources', () => {
  it('two sources claiming one id: the later one is refused, naming both locations', () => {
    const root = tempDir();
    const out = join(root, 'out');
    const doc = (content: string) =>
      `kind: File\nmetadata: { name: shared }\nspec: { path: ${out}.txt, content: "${content}\\n" }\n`;
    writeFiles(root, {
      'project/setpoint.yaml': 'sources:\n  - name: first\n    path: a\n  - name: second\n    path: b\n',
      'project/a/x.yaml': doc('from a'),
      'project/b/y.yaml': doc('from b'),
    });
    const project = join(root, 'project');
    const plan = cli(['plan'], { cwd: project });
    assert.equal(plan.code, 1);
    assert.match(
      plan.stderr,
      /b\/y\.yaml:1:1: File\/default\/shared: .*already declared by source first; source second cannot declare it too/,
    );
    assert.match(plan.stderr, /first declared by source first at .*a\/x\.yaml:1/);
  });

  it("status shows each resource's owner source, and pruning only touches what a source owns", () => {
    const root = tempDir();
    const out = join(root, 'out');
    writeFiles(root, {
      'project/setpoint.yaml':
        'defaults: { prune: true }\nsources:\n  - name: first\n    path: a\n  - name: second\n    path: b\n',
      'project/a/x.yaml': `kind: File\nmetadata: { name: fa }\nspec: { path: ${out}-a.txt, content: "a\\n" }\n`,
      'project/b/y.yaml': `kind: File\nmetadata: { name: fb }\nspec: { path: ${out}-b.txt, content: "b\\n" }\n`,
    });
    const project = join(root, 'project');
    assert.equal(cli(['apply', '--yes'], { cwd: project }).code, 0);
    const status = json<{ resources: Array<{ id: string; source: string }> }>(
      cli(['status', '--json'], { cwd: project }),
    );
    assert.deepEqual(status.resources.map((r) => [r.id, r.source]).sort(), [
      ['File/default/fa', 'first'],
      ['File/default/fb', 'second'],
    ]);
    // Removing b's manifest prunes fb only.
    writeFileSync(join(project, 'b', 'y.yaml'), '');
    const apply = cli(['apply', '--yes'], { cwd: project });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(existsSync(`${out}-b.txt`), false);
    assert.equal(existsSync(`${out}-a.txt`), true);
  });
});
