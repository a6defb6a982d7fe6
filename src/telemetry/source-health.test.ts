import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from './metrics.js';
import { staleFor } from './source-health.js';

const value = async (m: Metrics, name: string, source: string) =>
  (await m.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.source === source)?.value;

describe('source fetch health', () => {
  it('a watched source has its series at 0; failures count, a success sets the time and clears the run', async () => {
    const m = new Metrics({ processMetrics: false });
    m.sources.watch([{ name: 'app', intervalMs: 30_000 }], 1_000);
    assert.equal(await value(m, 'setpoint_source_fetch_failures_total', 'app'), 0);
    assert.equal(await value(m, 'setpoint_source_last_success_timestamp_seconds', 'app'), 0);
    assert.equal(await value(m, 'setpoint_source_fetch_interval_seconds', 'app'), 30);
    m.sources.fetched('app', false, new Error('unreachable'), 2_000);
    m.sources.fetched('app', false, new Error('unreachable'), 3_000);
    assert.equal(await value(m, 'setpoint_source_fetch_failures_total', 'app'), 2);
    assert.deepEqual(
      m.sources.list().map((h) => [h.failuresInARow, h.lastError]),
      [[2, 'unreachable']],
    );
    m.sources.fetched('app', true, undefined, 4_000);
    assert.equal(await value(m, 'setpoint_source_last_success_timestamp_seconds', 'app'), 4);
    assert.equal(
      await value(m, 'setpoint_source_fetch_failures_total', 'app'),
      2,
      'a counter never goes down',
    );
    assert.deepEqual(
      m.sources.list().map((h) => [h.failuresInARow, h.lastError, h.lastSuccessAt]),
      [[0, undefined, 4_000]],
    );
  });

  it('is stale after 3 intervals without success; a source without an interval never is', () => {
    const h = { source: 'app', intervalMs: 10, since: 0, failuresInARow: 0 };
    assert.equal(staleFor(h, 29), undefined);
    assert.equal(staleFor(h, 30), 30);
    assert.equal(staleFor({ ...h, lastSuccessAt: 25 }, 50), undefined);
    assert.equal(staleFor({ ...h, intervalMs: undefined }, 1e9), undefined);
  });
});
