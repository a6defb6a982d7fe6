/** Prometheus rules from slos: thresholds and factors follow the settings; promtool accepts the file. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import { prometheusRules } from './rules.js';
import { sloSpecs } from './schema.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

const slos = sloSpecs([
  { name: 'reconciles', sli: 'reconcile-success', objective: 99.5, window: '7d' },
  { name: 'fast', sli: 'convergence', objective: 90, threshold: '120s' },
  {
    name: 'api',
    sli: 'prometheus',
    objective: 99.9,
    owner: 'team-api',
    prometheus: {
      url: 'http://prometheus:9090',
      good: 'sum(increase(http_requests_total{code!~"5.."}[$window]))',
      total: 'sum(increase(http_requests_total[$window]))',
    },
    burnRates: [{ long: '1h', short: '5m', factor: 10, severity: 'page' }],
    gate: { remediation: { kinds: ['Process'], action: 'approve' } },
  },
]);

describe('Prometheus rules from slos:', () => {
  const out = prometheusRules(slos, 'platform');
  const rules = (name: string) => out.groups.find((g) => g.name === `setpoint-slo-${name}`)!.rules;
  it('records the error ratio over each window an SLO needs, from its own SLI', () => {
    const recorded = rules('reconciles').flatMap((r) => ('record' in r ? [r.record] : []));
    assert.deepEqual(
      recorded,
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '7d'].map((w) => `slo:reconciles:error_ratio:rate${w}`),
    );
    const api = rules('api').find((r) => 'record' in r && r.record === 'slo:api:error_ratio:rate5m');
    assert.equal(
      api && 'expr' in api ? api.expr : '',
      '1 - (sum(increase(http_requests_total{code!~"5.."}[5m]))) / (sum(increase(http_requests_total[5m])))',
    );
    const fast = rules('fast').find((r) => 'record' in r);
    assert.match(
      fast && 'expr' in fast ? fast.expr : '',
      /le="120"/,
      'the convergence threshold is the bucket',
    );
  });
  it('alerts on burn rates with the declared factors and objective, and on an exhausted budget', () => {
    const burn = rules('api').filter((r) => 'alert' in r && r.alert === 'SetpointSLOBurnRate');
    assert.equal(burn.length, 1);
    assert.equal(
      'alert' in burn[0] ? burn[0].expr : '',
      'slo:api:error_ratio:rate1h > (10 * 0.001) and slo:api:error_ratio:rate5m > (10 * 0.001)',
    );
    assert.deepEqual('alert' in burn[0] ? burn[0].labels : {}, {
      slo: 'api',
      owner: 'team-api',
      severity: 'page',
      window: '1h/5m',
    });
    const exhausted = rules('reconciles').find(
      (r) => 'alert' in r && r.alert === 'SetpointSLOErrorBudgetExhausted',
    );
    assert.equal(
      exhausted && 'alert' in exhausted ? exhausted.expr : '',
      'slo:reconciles:error_ratio:rate7d > 0.005',
    );
    assert.deepEqual(out.warnings, []);
  });
  it('warns when a latency threshold is no bucket of the histogram', () => {
    const odd = prometheusRules(
      sloSpecs([{ name: 'odd', sli: 'remediation', objective: 99, threshold: '3s' }]),
    );
    assert.match(odd.warnings[0], /threshold 3s is not a bucket/);
    assert.match(odd.yaml, /^# WARNING: SLO odd/m);
  });
  it('passes promtool check rules', { skip: promtool ? false : 'promtool is not installed' }, () => {
    const file = join(tempDir(), 'slo-rules.yml');
    writeFileSync(file, out.yaml);
    const said = execFileSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
    assert.match(said, /SUCCESS: \d+ rules found/);
  });
});
