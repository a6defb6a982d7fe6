/**
 * Rolling a source back from the web dashboard, in a real chromium against a
 * real `setpoint serve` following a Git repository: an operator pins the source to
 * its earlier revision (the file goes back), then unpins it (the file
 * follows the latest revision again); a viewer gets no such buttons.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, signIn } from './browser-kit.js';
import { execFileSync } from 'node:child_process';
import { FAST, fileDoc, project } from './serve-kit.js';
import { call, createToken, startApi, suiteOwner, until, type ApiServing } from './server-kit.js';

describe('rolling a source back from the web dashboard', () => {
  const owner = suiteOwner();
  const p = project({});
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Dana', '-c', 'user.email=dana@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    });
  git(p.dir, 'init', '-q', '--bare', 'remote.git');
  git(p.dir, 'init', '-q', '-b', 'main', 'work');
  const work = p.path('work');
  git(work, 'remote', 'add', 'origin', p.path('remote.git'));
  const target = p.path('out', 'greeting');
  const commit = (text: string, message: string) => {
    p.write({ 'work/manifests/site.yaml': fileDoc('greeting', target, text) });
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', 'main');
  };
  commit('one\n', 'first greeting');
  p.write({
    'setpoint.yaml': `${FAST}sources:\n  - name: site\n    git: { url: file://${p.path('remote.git')}, ref: main, path: manifests, interval: 1s }\n`,
  });
  let api: ApiServing;
  let browser: Browser;
  const tok: Record<string, string> = {};
  const read = () => {
    try {
      return p.read(target);
    } catch {
      return '';
    }
  };

  it('starts serve with two admitted revisions', async () => {
    tok.operator = createToken(p, 'otto', 'operator');
    tok.viewer = createToken(p, 'victor', 'viewer');
    api = await startApi(owner, p);
    browser = await launchBrowser(owner);
    await until(async () => read() === 'one\n', 'the first revision applied');
    commit('two\n', 'second greeting');
    await until(async () => read() === 'two\n', 'the second revision applied');
  });

  it('a viewer sees the revisions but no roll back button', async () => {
    const { context, page, problems } = await signIn(browser, api.url, tok.viewer, '/executive');
    const table = page.getByRole('table', { name: 'Revisions of site' });
    await table.getByText('in force').waitFor();
    assert.ok((await table.getByRole('row').count()) >= 3, 'a header and two revisions');
    assert.equal(await page.getByRole('button', { name: 'Roll back to this' }).count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('an operator rolls back to the first revision, then unpins', async () => {
    const { context, page, problems } = await signIn(browser, api.url, tok.operator, '/executive');
    const table = page.getByRole('table', { name: 'Revisions of site' });
    await table.getByRole('button', { name: 'Roll back to this' }).first().click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm: Roll back to this' }).click();
    await until(async () => read() === 'one\n', 'the file back at the first revision');
    await page.getByText(/pinned to/).waitFor();
    const sources = await call<{ items: Array<{ pinned?: string; pinnedBy?: string }> }>(
      api.url,
      '/api/v1/sources',
      { token: tok.viewer },
    );
    assert.equal(sources.body.items[0].pinnedBy, 'otto');
    await page.getByRole('button', { name: 'Unpin' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm: Unpin' }).click();
    await until(async () => read() === 'two\n', 'the file back at the latest revision');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
