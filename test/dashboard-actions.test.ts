/**
 * Acting from the web dashboard in a real chromium against a real `setpoint
 * serve`: an approver approves a pending delete and the file is gone; a
 * viewer sees no approve button and a request forged with its token is
 * refused (403); an operator acknowledges an alert.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, signIn } from './browser-kit.js';
import { FAST, project, replaceFile } from './serve-kit.js';
import { call, createToken, nsFile, startApi, suiteOwner, until, type ApiServing } from './server-kit.js';

interface Approval {
  id: string;
  resourceId: string;
  op: string;
  state: string;
}

describe('acting from the web dashboard', () => {
  const owner = suiteOwner();
  const p = project({}, `${FAST}alerts:\n  evaluationInterval: 100ms\n`);
  const doomed = p.path('out', 'doomed');
  const motd = p.path('out', 'motd');
  const doomedDoc = [
    'kind: File',
    'metadata: { name: doomed, namespace: ops }',
    'spec:',
    `  path: ${doomed}`,
    '  content: "old\\n"',
    '  mode: "0644"',
    'lifecycle: { prune: true }',
  ].join('\n');
  const motdDoc = nsFile('web', 'motd', motd, 'hello\n', 'alert');
  p.write({ 'manifests/site.yaml': `${motdDoc}\n---\n${doomedDoc}\n` });
  let api: ApiServing;
  let browser: Browser;
  const tok: Record<string, string> = {};
  let approval: Approval;

  it('starts serve, proposes a delete that waits for approval, raises an alert', async () => {
    tok.approver = createToken(p, 'ann', 'approver');
    tok.viewer = createToken(p, 'victor', 'viewer');
    tok.operator = createToken(p, 'otto', 'operator');
    api = await startApi(owner, p);
    browser = await launchBrowser(owner);
    await until(async () => existsSync(doomed) && existsSync(motd), 'both files created');
    // Leaving the manifests with prune on: a destructive delete, proposed for approval.
    p.write({ 'manifests/site.yaml': `${motdDoc}\n` });
    await until(async () => {
      const r = await call<{ items: Approval[] }>(api.url, '/api/v1/approvals', { token: tok.viewer });
      approval = r.body.items.find((a) => a.resourceId === 'File/ops/doomed' && a.op === 'delete')!;
      return approval !== undefined;
    }, 'a pending delete of File/ops/doomed');
    replaceFile(motd, 'edited\n');
    await until(async () => {
      const r = await call<{ items: unknown[] }>(api.url, '/api/v1/alerts', { token: tok.viewer });
      return r.body.items.length === 1;
    }, 'an alert firing for the drifted motd');
  });

  it('a viewer sees the pending delete but no approve button, and a forged approval is refused (403)', async () => {
    const { context, page, problems } = await signIn(browser, api.url, tok.viewer, '/r/File/ops/doomed');
    await page.getByText('A delete waits for an approver (your role: viewer)').waitFor();
    assert.equal(await page.getByRole('button', { name: /Approve/ }).count(), 0);
    await page.getByRole('link', { name: 'On-call' }).first().click();
    const pending = page.getByRole('list', { name: 'Pending approvals' });
    await pending.getByText('File/ops/doomed').waitFor();
    assert.equal(await pending.getByRole('button').count(), 0);
    await pending.getByText('Deciding needs role approver').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0, 'viewers cannot ack');
    const forged = await page.evaluate(async (id) => {
      const res = await fetch(`/api/v1/approvals/${id}/approve`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sessionStorage.getItem('setpoint.token')}`,
          'content-type': 'application/json',
        },
        body: '{}',
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, approval.id);
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'SETPOINT_FORBIDDEN');
    assert.ok(existsSync(doomed), 'nothing was deleted');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('an approver approves the delete from the debug page and the file is gone', async () => {
    const { context, page, problems } = await signIn(browser, api.url, tok.approver, '/r/File/ops/doomed');
    await page.getByRole('button', { name: 'Approve delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm: Approve delete' });
    await dialog.getByLabel('Note (for the audit log)').fill('retired');
    await dialog.getByRole('button', { name: 'Confirm: Approve delete' }).click();
    await until(async () => !existsSync(doomed), 'the file deleted');
    await page
      .getByTestId('events')
      .getByText(/Deleted|Pruned/)
      .first()
      .waitFor({ timeout: 30_000 });
    const audit = await call<{ items: Array<{ action: string; actor: string; detail?: { note?: string } }> }>(
      api.url,
      '/api/v1/audit?resource=File/ops/doomed',
      { token: tok.viewer },
    );
    assert.ok(
      audit.body.items.some((e) => e.action.includes('approve') && e.actor === 'ann'),
      JSON.stringify(audit.body.items),
    );
    // Once the delete is done the resource is gone: the page's live refresh of it may answer 404 (a race with
    // the events); the browser logs that as a failed load. Anything else is a problem.
    assert.deepEqual(
      problems.filter((m) => !/status of 404/.test(m)),
      [],
    );
    await context.close();
  });

  it('an operator acknowledges an alert from the on-call view', async () => {
    const { context, page, problems } = await signIn(browser, api.url, tok.operator, '/oncall');
    const alerts = page.getByRole('list', { name: 'Active alerts' });
    await alerts.getByRole('link', { name: 'File/web/motd' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Approve/ }).count(), 0, 'operators cannot approve');
    await alerts.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm: Acknowledge' }).click();
    await alerts.getByText('acknowledged by otto').waitFor();
    const list = await call<{ items: Array<{ ack?: { by: string; actionable: boolean } }> }>(
      api.url,
      '/api/v1/alerts',
      { token: tok.viewer },
    );
    assert.deepEqual(
      list.body.items[0].ack && { ...list.body.items[0].ack, at: undefined, comment: undefined },
      {
        by: 'otto',
        actionable: true,
        at: undefined,
        comment: undefined,
      },
    );
    assert.deepEqual(problems, []);
    await context.close();
  });
});
