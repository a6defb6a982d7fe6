/** Routing by label and the grouping/timing of notifications (group wait, group interval, repeat, resolved). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertRecord } from '../../store/alerts.js';
import { dueNotifications, route } from './dispatch.js';
import { alertSettings } from './schema.js';

const settings = alertSettings({
  groupWait: '30s',
  groupInterval: '5m',
  repeatInterval: '4h',
  receivers: [
    { name: 'web', type: 'webhook', url: 'http://127.0.0.1:1/web' },
    { name: 'ops', type: 'slack', url: 'http://127.0.0.1:1/ops' },
  ],
  routes: [{ match: { owner: 'team-web' }, receiver: 'web' }],
  defaultReceiver: 'ops',
});

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function alert(id: string, o: Partial<AlertRecord> & { owner?: string; rule?: string } = {}): AlertRecord {
  const rule = o.rule ?? 'DriftDetected';
  const labels = {
    alertname: rule,
    owner: o.owner ?? 'team-web',
    resource: `File/default/${id}`,
    severity: 'ticket',
  };
  return {
    id,
    fingerprint: `fp-${id}`,
    rule,
    severity: 'ticket',
    state: 'firing',
    labels,
    annotations: { summary: `${id} drifted` },
    activeAt: at(0),
    startsAt: at(0),
    lastEvaluatedAt: at(0),
    receiver: route(settings, labels),
    ...o,
  };
}

describe('route', () => {
  it('picks the first matching route, else the default receiver', () => {
    assert.equal(route(settings, { owner: 'team-web' }), 'web');
    assert.equal(route(settings, { owner: 'team-db' }), 'ops');
    assert.equal(route(alertSettings({}), { owner: 'team-web' }), undefined, 'no receivers: recorded only');
  });
});

describe('due notifications', () => {
  it('a new group waits groupWait, then sends all its alerts in one notification', () => {
    const alerts = [alert('a'), alert('b', { startsAt: at(10) })];
    assert.deepEqual(dueNotifications(alerts, settings, T0 + 29_000), [], 'still collecting the incident');
    const due = dueNotifications(alerts, settings, T0 + 30_000);
    assert.equal(due.length, 1);
    assert.equal(due[0].receiver.name, 'web');
    assert.equal(due[0].notification.status, 'firing');
    assert.deepEqual(due[0].notification.groupLabels, { owner: 'team-web', alertname: 'DriftDetected' });
    assert.deepEqual(
      due[0].notification.alerts.map((a) => a.id),
      ['a', 'b'],
    );
  });

  it('groups by owner and rule: other owners and other rules are other notifications', () => {
    const alerts = [alert('a'), alert('b', { owner: 'team-db' }), alert('c', { rule: 'ResourceConflict' })];
    const due = dueNotifications(alerts, settings, T0 + 60_000);
    assert.deepEqual(due.map((d) => `${d.receiver.name}:${d.notification.groupKey}`).sort(), [
      'ops:{owner="team-db",alertname="DriftDetected"}',
      'web:{owner="team-web",alertname="DriftDetected"}',
      'web:{owner="team-web",alertname="ResourceConflict"}',
    ]);
  });

  it('nothing is sent again for alerts already notified, until repeatInterval', () => {
    const notified = [alert('a', { notifiedAt: at(30) })];
    assert.deepEqual(dueNotifications(notified, settings, T0 + 3600_000), []);
    assert.equal(
      dueNotifications(notified, settings, T0 + 30_000 + 4 * 3600_000).length,
      1,
      'repeated after 4h',
    );
  });

  it('news in a notified group wait groupInterval since the last notification', () => {
    const alerts = [alert('a', { notifiedAt: at(30) }), alert('b', { startsAt: at(60) })];
    assert.deepEqual(dueNotifications(alerts, settings, T0 + 120_000), []);
    const due = dueNotifications(alerts, settings, T0 + 330_000);
    assert.deepEqual(
      due[0].notification.alerts.map((a) => a.id),
      ['a', 'b'],
      'the whole group is sent, the old alert with the new one',
    );
  });

  it('a resolution of a notified alert is sent (status resolved); an alert never notified gets none', () => {
    const resolved = alert('a', { state: 'resolved', resolvedAt: at(100), notifiedAt: at(30) });
    const due = dueNotifications([resolved], settings, T0 + 330_000);
    assert.equal(due.length, 1);
    assert.equal(due[0].notification.status, 'resolved');
    assert.deepEqual(
      dueNotifications([alert('b', { state: 'resolved', resolvedAt: at(20) })], settings, T0 + 3600_000),
      [],
    );
  });

  it('suppressed alerts (silence, change window) are not sent', () => {
    assert.deepEqual(
      dueNotifications([alert('a', { suppressedBy: 'silence 1234abcd' })], settings, T0 + 3600_000),
      [],
    );
  });

  it('alerts without a receiver are only recorded', () => {
    assert.deepEqual(dueNotifications([alert('a', { receiver: undefined })], settings, T0 + 3600_000), []);
  });
});
