/**
 * Alerting end to end: a real `setpoint serve` evaluates the built-in rules
 * and notifies real HTTP receivers on loopback, routed by the `owner` label
 * (generic webhook, Slack-compatible, Alertmanager API v2). One grouped
 * notification per incident, none while a silence matches (until it is
 * expired), a resolved notification when the drift is undone; the CLI lists,
 * acknowledges and silences; `status` shows the SLO error budgets.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, json, startServe } from './helpers.js';
import { apiUrl, sample, startReceiver, until, type Delivery, type Receiver } from './observability-kit.js';
import { docs, fileDoc, project, replaceFile, type Project } from './serve-kit.js';

interface WebhookBody {
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: Array<{ status: string; labels: Record<string, string>; id: string }>;
}

interface AlertRow {
  id: string;
  rule: string;
  state: string;
  labels: Record<string, string>;
  startsAt: string;
  lastEvaluatedAt: string;
  notifiedAt?: string;
  suppressedBy?: string;
  ack?: { actionable: boolean };
}

const webhooks = (r: Receiver, path = '/web'): WebhookBody[] =>
  r.deliveries.filter((d: Delivery) => d.path === path).map((d) => d.json as WebhookBody);
const resources = (b: WebhookBody) => b.alerts.map((a) => a.labels.resource).sort();

function alerts(p: Project, all = true): AlertRow[] {
  return json<AlertRow[]>(p.ok(all ? ['alerts', '--all', '--json'] : ['alerts', '--json']));
}

/** Waits until serve has evaluated `alert` again at least `ms` after `since` (so a notification, if due, would have gone). */
async function evaluatedPast(p: Project, id: string, since: string, ms: number): Promise<AlertRow> {
  return eventually(() => {
    const a = alerts(p).find((x) => x.id === id);
    return a && Date.parse(a.lastEvaluatedAt) >= Date.parse(since) + ms ? a : undefined;
  }, `alert ${id} evaluated ${ms}ms past ${since}`);
}

describe('serve: alerts', () => {
  test('grouped notifications routed by owner, silences, resolves, acks and SLO status', async (t) => {
    const receiver = await startReceiver(t);
    const p = project(
      {},
      [
        'reconcile: { resync: 2s, backoff: { base: 50ms, max: 2s } }',
        'server: { listen: "127.0.0.1:0", metrics: public }',
        'alerts:',
        '  evaluationInterval: 100ms',
        '  groupWait: 2s',
        '  groupInterval: 1s',
        '  receivers:',
        `    - { name: web, type: webhook, url: "${receiver.url}/web" }`,
        `    - { name: db, type: alertmanager, url: "${receiver.url}" }`,
        `    - { name: chat, type: slack, url: "${receiver.url}/slack" }`,
        '  routes:',
        '    - { match: { owner: team-web }, receiver: web }',
        '    - { match: { owner: team-db }, receiver: db }',
        '  defaultReceiver: chat',
        'slos:',
        '  - { name: convergence-fast, sli: convergence, objective: 95, threshold: 60s }',
        '  - { name: reconciles, sli: reconcile-success, objective: 99 }',
        '',
      ].join('\n'),
    );
    const path = (n: string) => join(p.out, n);
    const web = { labels: { owner: 'team-web' }, remediation: 'alert' as const };
    p.write({
      'manifests/files.yaml': docs(
        fileDoc('a', path('a'), 'a\n', web),
        fileDoc('b', path('b'), 'b\n', web),
        fileDoc('c', path('c'), 'c\n', { labels: { owner: 'team-db' }, remediation: 'alert' }),
        fileDoc('d', path('d'), 'd\n', { remediation: 'alert' }),
      ),
    });
    const serve = await startServe(t, p.dir);
    const url = apiUrl(serve.stderr());
    await eventually(
      async () => (await p.status()).filter((r) => r.sync === 'InSync').length === 4,
      'all four files in sync',
    );

    // One incident: a and b drift together -> one notification to web with both.
    for (const n of ['a', 'b', 'c', 'd']) replaceFile(path(n), 'edited by hand\n');
    const [incident] = await eventually(() => {
      const got = webhooks(receiver);
      return got.length > 0 ? got : undefined;
    }, 'a notification to the web receiver');
    assert.equal(incident.status, 'firing');
    assert.deepEqual(incident.groupLabels, { owner: 'team-web', alertname: 'DriftDetected' });
    assert.deepEqual(resources(incident), ['File/default/a', 'File/default/b']);

    // The other owners' alerts went to their own receivers, in their formats.
    const am = await eventually(
      () => receiver.deliveries.find((d) => d.path === '/api/v2/alerts'),
      'the Alertmanager API receiver',
    );
    const amAlerts = am.json as Array<{
      labels: Record<string, string>;
      annotations: Record<string, string>;
      endsAt?: string;
    }>;
    assert.deepEqual(
      amAlerts.map((a) => [a.labels.alertname, a.labels.owner, a.labels.resource]),
      [['DriftDetected', 'team-db', 'File/default/c']],
    );
    assert.equal(amAlerts[0].endsAt, undefined, 'firing: no end yet');
    const slack = await eventually(
      () => receiver.deliveries.find((d) => d.path === '/slack'),
      'the Slack-compatible receiver',
    );
    assert.match((slack.json as { text: string }).text, /^\[FIRING:1\] DriftDetected \(unowned\)$/);

    // Deduplicated: evaluations go on, the incident is not sent again.
    const firing = alerts(p).filter((a) => a.labels.owner === 'team-web');
    assert.equal(firing.length, 2);
    for (const a of firing) await evaluatedPast(p, a.id, a.notifiedAt!, 2500);
    assert.equal(webhooks(receiver).length, 1, 'one notification per incident');

    // The CLI lists, and acknowledges (M9).
    assert.match(p.ok(['alerts']).stdout, /^[0-9a-f]{8}\s+ticket\s+DriftDetected\s+team-web\s+firing\s/m);
    p.ok(['alerts', 'ack', firing[0].id, '--noise', '-m', 'expected during the test']);
    p.ok(['alerts', 'ack', firing[1].id.slice(0, 6), '--actionable']);
    assert.equal(
      p.run(['alerts', 'ack', firing[0].id]).code,
      1,
      'one of --actionable or --noise is required',
    );

    // Resolved: undoing the drift by hand sends a resolved notification for the group.
    replaceFile(path('a'), 'a\n');
    replaceFile(path('b'), 'b\n');
    const since = await eventually(() => {
      const got = webhooks(receiver).slice(1);
      return got.some((w) => w.status === 'resolved') ? got : undefined;
    }, 'a resolved notification');
    const resolved = since.find((w) => w.status === 'resolved')!;
    assert.ok(resolved.alerts.every((a) => a.status === 'resolved'));
    // Each resolution is notified once: both in the group's resolved notification, or, when the
    // two edits were seen in evaluations more than groupInterval apart, the first in a firing one.
    const resolutions = since.flatMap((w) =>
      w.alerts.filter((a) => a.status === 'resolved').map((a) => a.labels.resource),
    );
    assert.deepEqual(resolutions.sort(), ['File/default/a', 'File/default/b']);

    // A silence holds back the next incident; expiring it lets the notification out.
    const created = json<{ id: string }>(
      p.ok([
        'silence',
        'create',
        '--matcher',
        'owner=team-web',
        '--duration',
        '2h',
        '--comment',
        'maintenance',
        '--json',
      ]),
    );
    assert.match(
      p.ok(['silence', 'list']).stdout,
      new RegExp(`^${created.id}\\s+owner=team-web\\s+active\\s`, 'm'),
    );
    const before = webhooks(receiver).length;
    replaceFile(path('a'), 'edited again\n');
    const silenced = await eventually(
      () => alerts(p, false).find((a) => a.labels.resource === 'File/default/a'),
      'the new incident to be recorded',
    );
    const held = await evaluatedPast(p, silenced.id, silenced.startsAt, 3500);
    assert.equal(held.suppressedBy, `silence ${created.id}`);
    assert.equal(webhooks(receiver).length, before, 'no notification during the silence');
    p.ok(['silence', 'expire', created.id]);
    const after = await eventually(
      () =>
        webhooks(receiver)
          .slice(before)
          .find((w) => w.status === 'firing'),
      'the notification once the silence is expired',
    );
    assert.deepEqual(resources(after), ['File/default/a']);
    assert.match(p.ok(['silence', 'list', '--all']).stdout, /expired/);

    // Metrics: incidents fired and acknowledgements by verdict.
    const text = await until(async () => {
      const t2 = await (await fetch(`${url}/metrics`)).text();
      return sample(t2, 'setpoint_alert_acknowledgements_total') >= 2 ? t2 : undefined;
    }, 'the acknowledgements to be counted');
    assert.equal(
      sample(text, 'setpoint_alert_acknowledgements_total', { severity: 'ticket', actionable: 'false' }),
      1,
    );
    assert.equal(
      sample(text, 'setpoint_alert_acknowledgements_total', { severity: 'ticket', actionable: 'true' }),
      1,
    );
    assert.ok(
      sample(text, 'setpoint_alerts_fired_total', { severity: 'ticket' }) >= 5,
      'a, b, c, d and a again',
    );
    assert.ok(sample(text, 'setpoint_alert_notifications_total', { receiver: 'web', result: 'sent' }) >= 3);

    // SLOs: error budgets in `status` (human and JSON).
    const status = p.ok(['status']).stdout;
    assert.match(
      status,
      /^SLO convergence-fast: 95% of revisions converge within 1m over 30d: 100\.00% \(1\/1\); error budget 100% left; burn 5m 0\.0x/m,
    );
    assert.match(status, /^SLO reconciles: 99% of reconciles succeed over 30d: /m);
    const data = json<{ slos: Array<{ spec: { name: string }; budget: { remaining: number } }> }>(
      p.ok(['status', '--json']),
    );
    assert.deepEqual(
      data.slos.map((s) => s.spec.name),
      ['convergence-fast', 'reconciles'],
    );
  });
});
