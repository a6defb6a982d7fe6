/**
 * The web dashboard in a real chromium against a real `setpoint serve
 * --listen` over real files: sign-in, the on-call, executive and debug
 * views with the project's data, and live updates (a hand edit shows as
 * drift, then as remediated, without a reload), the goals and the fleet
 * on the executive view.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, signIn } from './browser-kit.js';
import { docs, fileDoc, project, replaceFile } from './serve-kit.js';
import { call, createToken, startApi, suiteOwner, until, type ApiServing } from './server-kit.js';

describe('the web dashboard views', () => {
  const owner = suiteOwner();
  const p = project({});
  p.write({
    'manifests/site.yaml': docs(
      fileDoc('motd', p.path('out', 'motd'), 'hello\n'),
      fileDoc('banner', p.path('out', 'banner'), 'welcome\n', {
        remediation: 'alert',
        dependsOn: ['File/motd'],
      }),
      fileDoc('robots', p.path('out', 'robots.txt'), 'User-agent: *\n', { priority: 'critical' }),
    ),
    // A goal read from a command (the last line of its output): signups from a file the test rewrites.
    'signups.txt': '520\n',
    'manifests/goals.yaml': [
      'kind: Target',
      'metadata: { name: signups }',
      'spec:',
      '  description: at least 500 signups a day',
      `  measure: { command: { run: "cat ${p.path('signups.txt')}" } }`,
      '  direction: above',
      '  threshold: 500',
      '  unit: signups',
      '  interval: 1s',
      '  deadline: "2099-12-31"',
      '',
    ].join('\n'),
  });
  let api: ApiServing;
  let browser: Browser;
  let admin: string;
  let viewer: string;

  it('starts serve and a browser', async () => {
    admin = createToken(p, 'alice', 'admin');
    viewer = createToken(p, 'victor', 'viewer');
    api = await startApi(owner, p);
    browser = await launchBrowser(owner);
    await until(
      async () => (await p.status()).filter((r) => r.sync === 'InSync').length === 4,
      'all three files and the goal in sync',
    );
  });

  it('serves the app at / with a strict CSP, and the token never reaches a URL', async () => {
    const index = await call(api.url, '/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(index.text, /<script>(?!<)/, 'no inline script');
    const urls: string[] = [];
    const { context, page, problems } = await signIn(browser, api.url, admin);
    page.on('request', (r) => urls.push(r.url()));
    await page.reload();
    await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
    assert.equal(await page.getByTestId('role').textContent(), 'admin');
    assert.ok(urls.length > 0);
    for (const u of urls) assert.ok(!u.includes(admin), `token in a URL: ${u}`);
    assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'the token sits in session storage');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('refuses a wrong token with a message that says so', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(api.url + '/');
    await page.getByLabel('API token').fill('spt_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /Not signed in: invalid or revoked token/);
    await context.close();
  });

  it('on-call view lists the real resources and their state', async () => {
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/oncall');
    await page.getByRole('heading', { name: 'On-call' }).waitFor();
    await page.getByTestId('resource-count').filter({ hasText: '4' }).waitFor();
    const all = page.getByRole('table', { name: 'All resources' });
    for (const id of ['File/default/motd', 'File/default/banner', 'File/default/robots'])
      await all.getByRole('link', { name: id }).waitFor();
    assert.equal(await all.getByText('InSync').count(), 4);
    assert.match(
      (await page.getByText('Queue depth').locator('..').textContent()) ?? '',
      /\d+ \(\d+ running\)/,
    );
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('shows a hand edit of a managed file as drift, then as remediated, without a reload', async () => {
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/r/File/default/motd');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const events = page.getByTestId('events');
    await events.getByText('Created', { exact: true }).first().waitFor();
    replaceFile(p.path('out', 'motd'), 'edited by hand\n');
    await events.getByText('DriftDetected').waitFor({ timeout: 30_000 });
    await events.getByText('Remediated').waitFor({ timeout: 30_000 });
    assert.equal(p.read(p.path('out', 'motd')), 'hello\n');
    // The on-call list of remediations shows it too, from the stream.
    await page.getByRole('link', { name: 'On-call' }).first().click();
    await page
      .getByRole('list', { name: 'Recent remediations' })
      .getByText('File/default/motd')
      .first()
      .waitFor();
    assert.equal(
      await page.evaluate(() => (window as unknown as { marker?: number }).marker),
      42,
      'no reload',
    );
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('debug page shows the field diff, conditions, events and neighbours of a drifted resource', async () => {
    replaceFile(p.path('out', 'banner'), 'defaced\n');
    await until(
      async () =>
        (await p.record('File/default/banner'))?.sync === 'Held' ||
        (await p.record('File/default/banner'))?.sync === 'Drifted',
      'banner drift recorded',
    );
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/r/File/default/banner');
    const diff = page.getByRole('table', { name: 'Field diff' });
    await diff.getByText('spec.content').waitFor();
    assert.match((await diff.locator('td.old').first().textContent()) ?? '', /defaced/);
    assert.match((await diff.locator('td.new').first().textContent()) ?? '', /welcome/);
    await page.getByTestId('events').getByText('DriftDetected').waitFor();
    await page.getByRole('heading', { name: 'Conditions' }).waitFor();
    await page.getByRole('link', { name: 'File/default/motd' }).waitFor();
    // Reachable by search from anywhere.
    await page.getByLabel('Find a resource').fill('robots');
    await page.getByLabel('Find a resource').press('Enter');
    await page.getByRole('heading', { name: 'File/default/robots' }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('executive view charts the drift ratio and shows approvals, SLOs and policies', async () => {
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/executive');
    await page.getByRole('heading', { name: 'Drift ratio, last 24 h' }).waitFor();
    await page.locator('.chart canvas').waitFor();
    // motd (remediated) and banner (still drifted, alert mode) in the last interval: 2 of 4 (the goal is met).
    await page.getByTestId('drift-now').filter({ hasText: '50.0 %' }).waitFor();
    const trend = await call<{ points: Array<{ drifted: number }>; revisions: unknown[] }>(
      api.url,
      '/api/v1/trends/drift?window=1h&points=12',
      { token: viewer },
    );
    assert.equal(trend.status, 200);
    assert.ok(trend.body.points.at(-1)!.drifted >= 1, 'the last interval counts the drifts');
    assert.ok(trend.body.revisions.length >= 1);
    await page.getByRole('heading', { name: 'Pending approvals' }).last().waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('executive view shows each goal with its value, gap, trend and time left, live', async () => {
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/executive');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
    const goals = page.getByRole('table', { name: 'Goals' });
    const row = goals.locator('tr[data-goal="Target/default/signups"]');
    await row.getByTestId('goal-value').filter({ hasText: '520 signups' }).waitFor();
    assert.equal(await row.getByTestId('goal-gap').textContent(), 'met');
    assert.match((await row.getByTestId('goal-left').textContent()) ?? '', /^\d+d left/);
    // The measure falls behind: the row follows from the stream, without a reload.
    replaceFile(p.path('signups.txt'), '430\n');
    await row.getByTestId('goal-gap').filter({ hasText: '70 signups' }).waitFor({ timeout: 30_000 });
    await row.getByText('behind', { exact: true }).waitFor();
    assert.match((await row.getByTestId('goal-trend').textContent()) ?? '', /worsening/);
    const answer = await call<{
      items: Array<{ id: string; state: string; results: Array<{ gap: number }> }>;
    }>(api.url, '/api/v1/goals', { token: viewer });
    assert.equal(answer.status, 200);
    const signups = answer.body.items.find((g) => g.id === 'Target/default/signups');
    assert.equal(signups?.state, 'BehindTarget');
    assert.equal(signups?.results[0].gap, 70);
    // A token scoped to another namespace sees no goal.
    const other = createToken(p, 'otto', 'viewer', ['elsewhere']);
    assert.deepEqual(
      (await call<{ items: unknown[] }>(api.url, '/api/v1/goals', { token: other })).body.items,
      [],
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { marker?: number }).marker),
      7,
      'no reload',
    );
    replaceFile(p.path('signups.txt'), '520\n');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('executive view summarises the fleet once a node has enrolled', async () => {
    const enrolToken = await call<{ token: string }>(api.url, '/api/v1/nodes/enroll-tokens', {
      method: 'POST',
      token: admin,
      body: { ttlMs: 600_000, labels: { env: 'prod' } },
    });
    assert.equal(enrolToken.status, 201);
    const enrolled = await call(api.url, '/api/v1/fleet/enroll', {
      method: 'POST',
      body: { token: enrolToken.body.token, name: 'web-1' },
    });
    assert.equal(enrolled.status, 201);
    const nodes = await call<{ items: Array<{ offline: boolean; behind: boolean }> }>(
      api.url,
      '/api/v1/nodes',
      {
        token: viewer,
      },
    );
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/executive');
    const fleet = page.getByRole('region', { name: 'Fleet' });
    await fleet.getByRole('row', { name: /web-1/ }).waitFor();
    const expected = {
      online: nodes.body.items.filter((n) => !n.offline).length,
      offline: nodes.body.items.filter((n) => n.offline).length,
      behind: nodes.body.items.filter((n) => !n.offline && n.behind).length,
    };
    assert.equal(expected.online, 1, 'a node just enrolled is online');
    for (const [state, n] of Object.entries(expected))
      assert.equal(await fleet.getByTestId(`nodes-${state}`).textContent(), String(n), state);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('shows the connection state and reconnects with the last event id, missing nothing', async () => {
    const { context, page, problems } = await signIn(browser, api.url, viewer, '/oncall');
    const watches: Array<Record<string, string>> = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/watch')) watches.push(r.headers());
    });
    // serve stops: the stream ends, the dashboard says so and keeps trying.
    const address = new URL(api.url).host;
    await api.stop();
    await page.getByTestId('connection').filter({ hasText: 'Reconnecting' }).waitFor();
    // A hand edit while nobody watches; serve, started again on the same address, repairs it.
    replaceFile(p.path('out', 'robots.txt'), 'Disallow: /\n');
    api = await startApi(owner, p, ['--listen', address]);
    await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
    const last = watches.at(-1)!;
    assert.match(last['last-event-id'] ?? '', /^\d+$/, 'the reconnect names the last event seen');
    for (const w of watches) assert.ok(!JSON.stringify(w).includes('token='), 'no token in a URL');
    await page
      .getByRole('list', { name: 'Recent remediations' })
      .getByText('File/default/robots')
      .first()
      .waitFor({ timeout: 30_000 });
    assert.equal(
      problems.filter(
        (x) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|Failed to (fetch|load)|network/i.test(x),
      ).length,
      0,
      problems.join('\n'),
    );
    await context.close();
  });

  it('GET /api/v1/trends/drift: scoped to the token, a bad window is 400, listed in /openapi.json', async () => {
    const other = createToken(p, 'olga', 'viewer', ['other']);
    const scoped = await call<{ resources: number; points: Array<{ drifted: number }> }>(
      api.url,
      '/api/v1/trends/drift?window=1h&points=4',
      { token: other },
    );
    assert.equal(scoped.status, 200);
    assert.equal(scoped.body.resources, 0);
    assert.equal(scoped.body.points.length, 4);
    assert.ok(
      scoped.body.points.every((x) => x.drifted === 0),
      'no drift of other namespaces',
    );
    const bad = await call<{ error: { code: string; message: string } }>(
      api.url,
      '/api/v1/trends/drift?window=forever',
      { token: viewer },
    );
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /window/);
    assert.equal((await call(api.url, '/api/v1/trends/drift')).status, 401);
    const doc = await call<{ paths: Record<string, { get?: { 'x-setpoint-role': string } }> }>(
      api.url,
      '/openapi.json',
    );
    assert.equal(doc.body.paths['/api/v1/trends/drift'].get?.['x-setpoint-role'], 'viewer');
  });
});
