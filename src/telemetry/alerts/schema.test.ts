/** `alerts:` and `slos:` in setpoint.yaml: defaults, and the mistakes that are refused with a diagnostic. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../../test/helpers.js';
import { loadSettings } from '../../project/settings.js';

function load(yaml: string) {
  const dir = tempDir();
  writeFiles(dir, { 'setpoint.yaml': yaml });
  return loadSettings(dir, true);
}

describe('alert and SLO settings', () => {
  it('default to no receivers, sensible timers and the SRE workbook burn rates', () => {
    const { settings, diagnostics } = load(
      'slos:\n  - { name: fast, sli: convergence, objective: 95, threshold: 60s }\n',
    );
    assert.equal(diagnostics.hasErrors, false);
    assert.equal(settings.alerts.evaluationIntervalMs, 15_000);
    assert.equal(settings.alerts.groupWaitMs, 30_000);
    assert.deepEqual(settings.alerts.receivers, []);
    assert.equal(settings.alerts.rules.ReconcileFailing.enabled, true);
    assert.deepEqual(
      settings.slos[0].burnRates.map((b) => [b.factor, b.severity]),
      [
        [14.4, 'page'],
        [6, 'page'],
        [3, 'ticket'],
        [1, 'ticket'],
      ],
    );
    assert.equal(settings.tracing.endpoint, undefined, 'tracing off by default');
  });

  it('read receivers, routes, rule overrides and the OTLP endpoint', () => {
    const { settings, diagnostics } = load(
      [
        'telemetry: { otlp: { endpoint: "http://127.0.0.1:4318" } }',
        'alerts:',
        '  receivers: [{ name: am, type: alertmanager, url: "http://am:9093" }]',
        '  routes: [{ match: { owner: team-web }, receiver: am }]',
        '  rules: { ApprovalPending: { after: 30m, severity: page }, ConvergenceSlow: { enabled: false } }',
      ].join('\n'),
    );
    assert.deepEqual(diagnostics.items, []);
    assert.equal(settings.tracing.endpoint, 'http://127.0.0.1:4318');
    assert.equal(
      settings.alerts.receivers[0].repeatIntervalMs,
      60_000,
      'Alertmanager expires alerts that are not re-sent',
    );
    assert.deepEqual(settings.alerts.rules.ApprovalPending, {
      enabled: true,
      severity: 'page',
      forMs: undefined,
      afterMs: 1_800_000,
    });
    assert.equal(settings.alerts.rules.ConvergenceSlow.enabled, false);
  });

  it('refuse a route to an unknown receiver, an unknown rule, and a latency SLO without a threshold', () => {
    const { diagnostics } = load(
      [
        'alerts:',
        '  routes: [{ match: { owner: x }, receiver: nobody }]',
        '  rules: { NoSuchRule: {} }',
        'slos:',
        '  - { name: fast, sli: convergence, objective: 95 }',
        '  - { name: ok, sli: reconcile-success, objective: 100 }',
      ].join('\n'),
    );
    const text = diagnostics.items.map((d) => `${d.field ?? ''}: ${d.summary}`).join('\n');
    assert.match(text, /no receiver named "nobody"/);
    assert.match(text, /NoSuchRule/);
    assert.match(text, /needs a threshold/);
    assert.match(text, /slos\[1\]\.objective: Too big/, 'an objective of 100% leaves no error budget');
  });
});
