/**
 * The dashboard's debug and on-call additions in a real chromium against a
 * real `setpoint serve` over real files: a resource's reconcile spans (a
 * waterfall of its phases) after a real reconcile, convergence p95/p99 of a
 * critical resource after a real drift episode, the leader panel (one
 * serve on SQLite; a follower of two replicas on PostgreSQL), and the page
 * of a resource deleted by an approved prune. One browser for the file.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, signIn } from './browser-kit.js';
import { startReplica } from './ha-kit.js';
import { docs, FAST, fileDoc, project, replaceFile } from './serve-kit.js';
import { call, createToken, startApi, suiteOwner, until, type ApiServing } from './server-kit.js';
import { postgresUnavailable, TestPostgres } from './support/postgres.js';

const fileOwner = suiteOwner();
let shared: Promise<Browser> | undefined;
/** The file's one chromium, started on first use. */
const theBrowser = () => (shared ??= launchBrowser(fileOwner));

interface Span {
  outcome: string;
  action?: string;
  revisionId?: string;
  durationMs: number;
  phases: Array<{ name: string; startMs: number; durationMs: number }>;
}

interface Critical {
  items: Array<{ id: string; convergenceMs: { count: number; p95?: number; p99?: number } }>;
}

describe('the dashboard: spans, critical convergence, leader, deleted resources', () => {
  const owner = suiteOwner();
  const p = project({});
  const critical = p.path('out', 'critical');
  const doomed = p.path('out', 'doomed');
  const criticalDoc = fileDoc('gateway', critical, 'listen 443\n', { priority: 'critical' });
  const doomedDoc = [
    'kind: File',
    'metadata: { name: doomed, namespace: ops }',
    'spec:',
    `  path: ${doomed}`,
    '  content: "old\\n"',
    '  mode: "0644"',
    'lifecycle: { prune: true }',
  ].join('\n');
  p.write({ 'manifests/site.yaml': docs(criticalDoc, `${doomedDoc}\n`) });
  let api: ApiServing;
  let browser: Browser;
  let viewer: string;
  let approver: string;

  it('starts serve and a browser', async () => {
    viewer = createToken(p, 'victor', 'viewer');
    approver = createToken(p, 'ann', 'approver');
    api = await startApi(owner, p);
    browser = await theBrowser();
    await until(async () => existsSync(critical) && existsSync(doomed), 'both files created');
  });

  it('keeps the spans of a real reconcile, with its phases, and shows them as a waterfall', async () => {
    let spans: Span[] = [];
    await until(async () => {
      const r = await call<{ items: Span[] }>(api.url, '/api/v1/resources/File/default/gateway/spans', {
        token: viewer,
      });
      spans = r.body.items ?? [];
      return spans.some((s) => s.outcome === 'applied');
    }, 'the span of the create');
    const create = spans.find((s) => s.outcome === 'applied')!;
    assert.equal(create.action, 'create');
    assert.match(create.revisionId ?? '', /^[0-9a-f]{12,}/);
    assert.deepEqual(
      create.phases.map((x) => x.name),
      ['observe', 'diff', 'plan', 'act', 'verify'],
    );
    for (const x of create.phases) {
      assert.ok(x.durationMs >= 0 && x.startMs >= 0, JSON.stringify(x));
      assert.ok(x.startMs + x.durationMs <= create.durationMs + 0.01, 'phases lie within the reconcile');
    }

    const { context, page, problems } = await signIn(browser, api.url, viewer, '/r/File/default/gateway');
    const table = page.getByRole('table', { name: 'Reconcile spans' });
    const row = table.getByRole('row').filter({ hasText: 'applied' }).first();
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /\(create\).*observe .*diff .*plan .*act .*verify/);
    assert.match((await row.textContent()) ?? '', new RegExp(create.revisionId!.slice(0, 12)));
    assert.equal(await row.locator('.waterfall .ph').count(), 5, 'one bar segment per phase');
    // Without a tracing exporter, the reconcile id of its log lines stands in for the trace.
    await row.getByText('log').waitFor();
    assert.deepEqual(problems, []);
    await context.close();

    // The CLI shows the same, from the state or from the server.
    const local = JSON.parse(p.ok(['spans', 'File/gateway', '--json']).stdout) as { items: Span[] };
    assert.ok(local.items.some((s) => s.outcome === 'applied' && s.action === 'create'));
    const remote = p.ok(['spans', 'File/gateway', '--server', api.url, '--token', viewer]).stdout;
    assert.match(remote, /applied +create .*observe .*act .*verify/);

    const other = createToken(p, 'olga', 'viewer', ['other']);
    const scoped = await call(api.url, '/api/v1/resources/File/default/gateway/spans', { token: other });
    assert.equal(scoped.status, 403);
  });

  it('shows the convergence p95/p99 of a critical resource from a real drift episode', async () => {
    replaceFile(critical, 'listen 80\n');
    let body: Critical | undefined;
    await until(async () => {
      const r = await call<Critical>(api.url, '/api/v1/convergence/critical', { token: viewer });
      body = r.body;
      return (r.body.items?.[0]?.convergenceMs.count ?? 0) >= 1;
    }, 'a closed drift episode of the critical file');
    assert.equal(p.read(critical), 'listen 443\n');
    assert.deepEqual(
      body!.items.map((i) => i.id),
      ['File/default/gateway'],
      'only the critical resource',
    );
    const { p95, p99 } = body!.items[0].convergenceMs;
    assert.ok(p95 !== undefined && p95 >= 0 && p99 !== undefined && p99 >= p95);

    const { context, page, problems } = await signIn(browser, api.url, viewer, '/oncall');
    const row = page
      .getByRole('table', { name: 'Convergence per critical resource' })
      .getByRole('row')
      .filter({ hasText: 'File/default/gateway' });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    // Sync, episodes, p95, p99, last drift.
    assert.equal(cells[1], '1');
    assert.match(cells[2], /^\d+(\.\d)? (ms|s)$/);
    assert.match(cells[3], /^\d+(\.\d)? (ms|s)$/);
    assert.match(cells[4], /ago$/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('shows who leads: role, term, leader and lease, as /readyz says', async () => {
    const ready = await call<{ role: string; term: number; leader: string }>(api.url, '/readyz');
    assert.equal(ready.body.role, 'leader');
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/oncall');
    const panel = page.getByTestId('leader');
    await panel.getByTestId('role-of-replica').filter({ hasText: 'leader' }).waitFor();
    const text = (await panel.textContent()) ?? '';
    assert.match(text, /SQLite: the serve processes of one host share the state file; one leads/);
    assert.match(text, new RegExp(`Term${ready.body.term}`));
    assert.ok(text.includes(ready.body.leader), 'the leader named');
    assert.match(text, /runs out in \d/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('the page of a deleted resource says when and by which revision it went, with its history', async () => {
    p.write({ 'manifests/site.yaml': criticalDoc });
    let approval: { id: string } | undefined;
    await until(async () => {
      const r = await call<{ items: Array<{ id: string; resourceId: string; op: string }> }>(
        api.url,
        '/api/v1/approvals',
        { token: viewer },
      );
      approval = r.body.items.find((a) => a.resourceId === 'File/ops/doomed' && a.op === 'delete');
      return approval !== undefined;
    }, 'a pending delete of File/ops/doomed');
    const ok = await call(api.url, `/api/v1/approvals/${approval!.id}/approve`, {
      token: approver,
      method: 'POST',
      body: {},
    });
    assert.equal(ok.status, 200, ok.text);
    await until(async () => !existsSync(doomed), 'the file deleted');
    let fate: { exists: boolean; lastSeen?: string; deletion?: { action: string; revisionId?: string } };
    await until(async () => {
      const r = await call<typeof fate>(api.url, '/api/v1/resources/File/ops/doomed/fate', {
        token: viewer,
      });
      fate = r.body;
      return r.status === 200 && !r.body.exists && r.body.deletion !== undefined;
    }, 'the record gone and its deletion audited');
    assert.equal(fate!.deletion!.action, 'serve.delete');
    assert.ok(fate!.lastSeen);
    const rev = fate!.deletion!.revisionId!;
    assert.match(rev, /^[0-9a-f]{12,}/);
    assert.equal(
      (await call(api.url, '/api/v1/resources/File/ops/never/fate', { token: viewer })).status,
      404,
      'a resource never known is a 404',
    );

    const { context, page, problems } = await signIn(browser, api.url, viewer, '/r/File/ops/doomed');
    const notice = page.getByTestId('deleted');
    await notice.waitFor();
    const text = (await notice.textContent()) ?? '';
    assert.match(text, /This resource was deleted \(last seen .* ago, by revision /);
    assert.ok(text.includes(rev.slice(0, 12)), text);
    assert.match(text, /serve\.delete by ann/);
    assert.equal(await page.getByRole('alert').count(), 0, 'no bare 404 error');
    // Its history: the events, the audited actions and its spans stay.
    await page.getByTestId('events').getByText('Deleted', { exact: true }).first().waitFor();
    await page.getByRole('cell', { name: 'serve.delete' }).first().waitFor();
    await page.getByRole('table', { name: 'Reconcile spans' }).getByText('(delete)').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /Approve|Sync now|Resume/ }).count(), 0);
    assert.deepEqual(
      problems.filter((x) => !/404/.test(x)),
      [],
    );
    await context.close();
  });

  it('lists the new routes in /openapi.json with their role', async () => {
    const doc = await call<{ paths: Record<string, { get?: { 'x-setpoint-role': string } }> }>(
      api.url,
      '/openapi.json',
    );
    for (const path of [
      '/api/v1/resources/{kind}/{namespace}/{name}/spans',
      '/api/v1/resources/{kind}/{namespace}/{name}/fate',
      '/api/v1/convergence/critical',
    ])
      assert.equal(doc.body.paths[path]?.get?.['x-setpoint-role'], 'viewer', path);
  });
});

describe('the leader panel on PostgreSQL replicas', { skip: postgresUnavailable }, () => {
  it('a follower shows that it follows, who leads, the term and the lease', async (t) => {
    const pg = await TestPostgres.start();
    fileOwner.after(() => pg.stop());
    const url = await pg.createDatabase();
    const p = project({});
    p.write({
      'setpoint.yaml': `${FAST}state: "${url}"\n`,
      'manifests/a.yaml': fileDoc('a', p.path('out', 'a'), 'a\n'),
    });
    const viewer = createToken(p, 'victor', 'viewer');
    const a = await startReplica(t, p.dir, 'a', ['--lease-ttl', '5s']);
    const leader = await until(async () => (await a.readiness())?.role === 'leader', 'a to lead').then(() =>
      a.readiness(),
    );
    const b = await startReplica(t, p.dir, 'b', ['--lease-ttl', '5s']);
    await until(async () => (await b.readiness())?.role === 'follower', 'b to follow');
    const browser = await theBrowser();
    const { context, page, problems } = await signIn(browser, b.url, viewer, '/oncall');
    const panel = page.getByTestId('leader');
    await panel.getByTestId('role-of-replica').filter({ hasText: 'follower' }).waitFor();
    const text = (await panel.textContent()) ?? '';
    assert.match(text, /PostgreSQL: every replica serves reads, one leads and acts/);
    assert.ok(text.includes(`Leader${leader!.replica!}`), text);
    assert.match(text, new RegExp(`Term${leader!.term}`));
    assert.match(text, /This replica.* serve b$/);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
