import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from './metrics.js';
import { RECONCILE_RESULTS } from './metric-labels.js';

/** The label sets of `name` in the registry, as "k=v,k=v" strings. */
async function labelSets(m: Metrics, name: string): Promise<string[]> {
  const metric = m.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  return (await metric.get()).values
    .filter((v) => !('le' in v.labels) && !(v as { metricName?: string }).metricName?.endsWith('_sum'))
    .map((v) =>
      Object.entries(v.labels)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(','),
    );
}

describe('Metrics: series of known label values start at 0', () => {
  it('every reconcile result and alert severity exists before anything happened', async () => {
    const m = new Metrics({ processMetrics: false });
    assert.deepEqual(
      await labelSets(m, 'setpoint_reconciles_total'),
      RECONCILE_RESULTS.map((r) => `result=${r}`),
    );
    assert.ok((await labelSets(m, 'setpoint_alerts_fired_total')).includes('severity=page'));
    assert.equal((await m.registry.getSingleMetric('setpoint_approvals_pending')!.get()).values[0]?.value, 0);
  });

  it('kinds, policies and receivers get their series once, at 0, when they become known', async () => {
    const m = new Metrics({ processMetrics: false });
    m.knownKinds(['File']);
    m.knownKinds(['File', 'Directory']);
    m.knownPolicies([{ name: 'no-world-writable', action: 'deny' }]);
    m.knownReceivers(['web']);
    m.actions.inc({ kind: 'File', op: 'create', result: 'succeeded' });
    m.knownKinds(['File']);
    const actions = await m.registry.getSingleMetric('setpoint_actions_total')!.get();
    assert.equal(actions.values.length, 2 * 4 * 2, 'kind x op x result');
    assert.equal(
      actions.values.find(
        (v) => v.labels.kind === 'File' && v.labels.op === 'create' && v.labels.result === 'succeeded',
      )?.value,
      1,
      'knowing a kind again does not reset its counts',
    );
    assert.deepEqual(await labelSets(m, 'setpoint_policy_violations_total'), [
      'policy=no-world-writable,action=deny',
    ]);
    assert.deepEqual(await labelSets(m, 'setpoint_alert_notifications_total'), [
      'receiver=web,result=sent',
      'receiver=web,result=failed',
    ]);
    assert.ok((await labelSets(m, 'setpoint_remediation_latency_seconds')).includes('kind=Directory'));
  });
});
