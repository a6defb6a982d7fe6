/**
 * The alert evaluator over a real SQLite store, notifying a real HTTP
 * receiver on loopback; the clock is passed in, so "later" needs no waiting.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import type { ResourceRecord } from '../../store/index.js';
import { SqliteStore } from '../../store/sqlite/index.js';
import { silentLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { sloSpecs } from '../slo/schema.js';
import { AlertEvaluator, type EvaluatorOptions } from './evaluator.js';
import { alertSettings, type RawAlerts } from './schema.js';
import { newSilence } from './silences.js';

interface Received {
  path: string;
  body: {
    status: string;
    groupLabels: Record<string, string>;
    alerts: Array<{ status: string; labels: Record<string, string>; id: string }>;
  };
}

let server: Server;
let url = '';
let received: Received[] = [];
let failNext = 0;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end('busy');
        return;
      }
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Received['body'] });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  received = [];
  failNext = 0;
});

const T0 = Date.parse('2026-03-01T12:00:00Z');
const NOW = new Date(T0).toISOString();

function record(name: string, o: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    id: `File/default/${name}`,
    kind: 'File',
    namespace: 'default',
    name,
    source: 'local',
    labels: { owner: 'team-web' },
    spec: { path: `/tmp/${name}` },
    lifecycle: { remediation: 'alert' },
    dependsOn: [],
    desiredDigest: 'd',
    managed: true,
    declared: true,
    sync: 'InSync',
    health: 'Healthy',
    conditions: [],
    attempts: 0,
    updatedAt: NOW,
    ...o,
  };
}

const drifted = (name: string, o: Partial<ResourceRecord> = {}) =>
  record(name, { sync: 'Drifted', drift: [{ path: 'spec.content' }], driftedSince: NOW, ...o });

interface Rig {
  store: SqliteStore;
  metrics: Metrics;
  clock: { t: number };
  evaluator: AlertEvaluator;
  /** Evaluates at T0 + seconds. */
  at(seconds: number): Promise<void>;
  restart(): Promise<void>;
}

async function rig(raw: RawAlerts = {}, extra: Partial<EvaluatorOptions> = {}): Promise<Rig> {
  const store = new SqliteStore(join(tempDir(), 'state.db'));
  const metrics = new Metrics({ processMetrics: false });
  const clock = { t: T0 };
  const settings = alertSettings({
    evaluationInterval: '1h',
    groupWait: '30s',
    groupInterval: '1m',
    receivers: [{ name: 'web', type: 'webhook', url: `${url}/web` }],
    routes: [{ match: { owner: 'team-web' }, receiver: 'web' }],
    ...raw,
  });
  const make = () =>
    new AlertEvaluator({
      store,
      settings,
      slos: [],
      defaultRemediation: 'auto',
      logger: silentLogger(),
      metrics,
      now: () => clock.t,
      ...extra,
    });
  const r: Rig = {
    store,
    metrics,
    clock,
    evaluator: make(),
    async at(seconds) {
      clock.t = T0 + seconds * 1000;
      await r.evaluator.evaluate();
    },
    async restart() {
      await r.evaluator.stop();
      r.evaluator = make();
      await r.evaluator.start();
    },
  };
  await r.evaluator.start();
  after(() => r.evaluator.stop());
  return r;
}

async function counter(
  m: Metrics,
  name: 'alertsFired' | 'alertAcks' | 'alertNotifications',
  labels: Record<string, string>,
): Promise<number> {
  const values = (await m[name].get()).values as Array<{
    labels: Record<string, string | number | undefined>;
    value: number;
  }>;
  const v = values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('alert evaluator', () => {
  it('deduplicates: the same condition over many evaluations is one incident and one grouped notification', async () => {
    const r = await rig();
    await r.store.putResources([
      drifted('a'),
      drifted('b'),
      record('c', { lifecycle: { remediation: 'auto' }, sync: 'Drifted' }),
    ]);
    for (let s = 0; s <= 120; s += 10) await r.at(s);
    const incidents = await r.store.listAlerts();
    assert.deepEqual(
      incidents.map((a) => a.labels.resource).sort(),
      ['File/default/a', 'File/default/b'],
      'only alert-policy drift alerts; one incident each',
    );
    assert.equal(await counter(r.metrics, 'alertsFired', { severity: 'ticket' }), 2);
    assert.equal(received.length, 1, 'one notification for the incident');
    const n = received[0].body;
    assert.equal(received[0].path, '/web');
    assert.equal(n.status, 'firing');
    assert.deepEqual(n.groupLabels, { owner: 'team-web', alertname: 'DriftDetected' });
    assert.deepEqual(n.alerts.map((a) => a.labels.resource).sort(), ['File/default/a', 'File/default/b']);
    assert.deepEqual(
      n.alerts.map((a) => a.id).sort(),
      incidents.map((a) => a.id).sort(),
      'the incident ids, for `alerts ack`',
    );
  });

  it('sends a resolved notification when the condition goes away, and a new incident if it comes back', async () => {
    const r = await rig();
    await r.store.putResources([drifted('a')]);
    await r.at(0);
    await r.at(30);
    assert.equal(received.length, 1);
    const first = (await r.store.listAlerts())[0];
    await r.store.putResources([record('a')]);
    await r.at(60);
    await r.at(95);
    assert.equal(received.length, 2);
    assert.equal(received[1].body.status, 'resolved');
    assert.equal(received[1].body.alerts[0].status, 'resolved');
    const resolved = await r.store.getAlert(first.id);
    assert.equal(resolved?.state, 'resolved');
    assert.ok(resolved?.resolvedNotifiedAt);
    await r.store.putResources([drifted('a')]);
    await r.at(200);
    const again = await r.store.listAlerts({ states: ['firing'] });
    assert.equal(again.length, 1);
    assert.notEqual(again[0].id, first.id, 'a new incident');
    assert.equal(again[0].fingerprint, first.fingerprint, 'of the same alert');
  });

  it('sends nothing while a silence matches; the alert is still recorded, and notified once the silence ends', async () => {
    const r = await rig();
    const silence = newSilence({
      matchers: ['owner=team-web'],
      durationMs: 2 * 3600_000,
      comment: 'maintenance',
      createdBy: 'ada',
      startsAt: new Date(T0),
    });
    await r.store.putSilence(silence);
    await r.store.putResources([drifted('a')]);
    for (let s = 0; s <= 600; s += 60) await r.at(s);
    assert.equal(received.length, 0, 'silenced');
    const [a] = await r.store.listAlerts({ states: ['firing'] });
    assert.equal(a.suppressedBy, `silence ${silence.id}`);
    await r.store.putSilence({ ...silence, endsAt: new Date(T0 + 700_000).toISOString() });
    await r.at(700);
    assert.equal(received.length, 1, 'notified when the silence ended');
  });

  it('a silence on another owner does not hold back this one', async () => {
    const r = await rig();
    await r.store.putSilence(
      newSilence({
        matchers: ['owner=team-db'],
        durationMs: 3600_000,
        comment: 'db work',
        createdBy: 'ada',
        startsAt: new Date(T0),
      }),
    );
    await r.store.putResources([drifted('a')]);
    await r.at(0);
    await r.at(30);
    assert.equal(received.length, 1);
  });

  it('suppresses alerts about resources blocked by a change window', async () => {
    const r = await rig(
      {},
      { windows: (subject) => (subject?.labels.owner === 'team-web' ? 'window freeze' : undefined) },
    );
    await r.store.putResources([drifted('a')]);
    await r.at(0);
    await r.at(60);
    assert.equal(received.length, 0);
    assert.equal((await r.store.listAlerts())[0].suppressedBy, 'window freeze');
  });

  it('waits `for` before firing (pending), and forgets a condition that went away before', async () => {
    const r = await rig({ rules: { ReconcileFailing: { for: '5m' } } });
    await r.store.putResources([
      record('a', { sync: 'Failed', lastError: 'permission denied', attempts: 3 }),
    ]);
    await r.at(0);
    await r.at(240);
    assert.equal((await r.store.listAlerts()).length, 0, 'pending for 4 minutes');
    await r.at(300);
    const [a] = await r.store.listAlerts();
    assert.equal(a.rule, 'ReconcileFailing');
    assert.match(a.annotations.summary, /permission denied/);
    assert.equal(a.activeAt, new Date(T0).toISOString(), 'active since the first evaluation that saw it');
  });

  it('does not notify again after a restart: incidents and what was sent are in the store', async () => {
    const r = await rig();
    await r.store.putResources([drifted('a')]);
    await r.at(0);
    await r.at(30);
    assert.equal(received.length, 1);
    await r.restart();
    await r.at(60);
    await r.at(120);
    assert.equal(received.length, 0 + 1, 'nothing new');
    assert.equal((await r.store.listAlerts()).length, 1, 'the same incident');
  });

  it('retries a failed delivery at the next evaluation and counts the failure', async () => {
    const r = await rig();
    await r.store.putResources([drifted('a')]);
    failNext = 1;
    await r.at(0);
    await r.at(30);
    assert.equal(received.length, 0);
    assert.equal(await counter(r.metrics, 'alertNotifications', { receiver: 'web', result: 'failed' }), 1);
    await r.at(45);
    assert.equal(received.length, 1);
    assert.equal(await counter(r.metrics, 'alertNotifications', { receiver: 'web', result: 'sent' }), 1);
  });

  it('counts acknowledgements by severity and verdict (M9), each once', async () => {
    const r = await rig();
    await r.store.putResources([drifted('a'), drifted('b')]);
    await r.at(0);
    const [a, b] = await r.store.listAlerts();
    await r.store.ackAlert(a.id, { by: 'ada', at: new Date().toISOString(), actionable: false });
    await r.store.ackAlert(b.id, { by: 'ada', at: new Date().toISOString(), actionable: true });
    await r.at(10);
    await r.at(20);
    assert.equal(await counter(r.metrics, 'alertAcks', { severity: 'ticket', actionable: 'false' }), 1);
    assert.equal(await counter(r.metrics, 'alertAcks', { severity: 'ticket', actionable: 'true' }), 1);
    assert.equal(
      (await r.store.getAlert(a.id))?.ack?.actionable,
      false,
      'the evaluator rewriting the incident keeps the ack',
    );
  });

  it('fires an SLO burn-rate alert (page) when reconciles fail fast, routed by the SLO owner', async () => {
    const slos = sloSpecs([
      { name: 'reconciles', sli: 'reconcile-success', objective: 99, owner: 'team-web' },
    ]);
    const r = await rig({}, { slos });
    const minute = Math.floor(T0 / 60_000);
    await r.store.addSliSamples(
      [0, 1, 2, 3, 4].map((i) => ({ sli: 'reconcile-success', minute: minute - i, good: 80, total: 100 })),
    );
    await r.at(0);
    await r.at(30);
    const alerts = await r.store.listAlerts();
    assert.deepEqual(alerts.map((a) => [a.rule, a.severity, a.labels.slo, a.labels.window]).sort(), [
      ['SLOBurnRate', 'page', 'reconciles', '1h/5m'],
      ['SLOBurnRate', 'page', 'reconciles', '6h/30m'],
      ['SLOBurnRate', 'ticket', 'reconciles', '1d/2h'],
      ['SLOBurnRate', 'ticket', 'reconciles', '3d/6h'],
    ]);
    assert.equal(received.length, 1, 'one notification: same owner, same rule');
    assert.equal(received[0].body.alerts.length, 4);
    assert.ok(
      Math.abs(r.evaluator.slos[0].burnRates['1h'] - 20) < 1e-9,
      'burning 20x: 20% bad against a 1% budget',
    );
  });

  it('alerts on a policy violation (event or PolicyCompliant condition) until the resource complies again; audit-only never', async () => {
    const r = await rig();
    const violated = (name: string, message: string) =>
      record(name, {
        conditions: [
          { type: 'PolicyCompliant', status: 'False', reason: 'PolicyViolation', message, since: NOW },
        ],
      });
    await r.store.putResources([
      violated('a', 'no-world-writable (deny): mode 0777'),
      violated('b', 'owner-label (audit): no owner'),
    ]);
    await r.store.appendEvents([
      {
        time: NOW,
        type: 'Warning',
        reason: 'PolicyViolation',
        message: 'policy no-world-writable (deny): mode 0777',
        resourceId: 'File/default/a',
      },
      {
        time: NOW,
        type: 'Normal',
        reason: 'PolicyAudit',
        message: 'policy owner-label (audit, not enforced): no owner',
        resourceId: 'File/default/b',
      },
    ]);
    await r.at(0);
    await r.at(3600 * 3);
    const [a, ...rest] = await r.store.listAlerts();
    assert.deepEqual(rest, [], 'audit mode is a dry run');
    assert.equal(a.rule, 'PolicyViolation');
    assert.equal(a.labels.resource, 'File/default/a');
    assert.match(a.annotations.summary, /no-world-writable \(deny\): mode 0777/);
    assert.equal(a.state, 'firing', 'still firing hours later: the condition says so');
    await r.store.putResources([
      record('a', {
        conditions: [
          { type: 'PolicyCompliant', status: 'True', reason: 'Compliant', message: 'ok', since: NOW },
        ],
      }),
    ]);
    await r.store.appendEvents([
      {
        time: NOW,
        type: 'Normal',
        reason: 'PolicyCompliant',
        message: 'complies again',
        resourceId: 'File/default/a',
      },
    ]);
    await r.at(3600 * 3 + 10);
    assert.equal((await r.store.getAlert(a.id))?.state, 'resolved');
  });

  it('records reconcile outcomes as reconcile-success samples; held ones are no events', async () => {
    const r = await rig();
    r.metrics.reconciles.inc({ result: 'noop' }, 7);
    r.metrics.reconciles.inc({ result: 'error' }, 3);
    r.metrics.reconciles.inc({ result: 'forgotten' }, 5);
    r.metrics.reconciles.inc({ result: 'held' }, 4);
    await r.at(0);
    const samples = await r.store.listSliSamples('reconcile-success', 0);
    assert.deepEqual(
      samples.map((s) => [s.good, s.total]),
      [[7, 10]],
    );
  });
});
