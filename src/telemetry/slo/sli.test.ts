/** SLI events from what the store recorded: revisions (convergence), drift episodes (remediation), samples (reconcile success). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import type { ResourceRecord, RevisionRecord } from '../../store/index.js';
import { SqliteStore } from '../../store/sqlite/index.js';
import { sloSpecs } from './schema.js';
import { sliBuckets } from './sli.js';
import { describeSlo, sloStatus } from './status.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function revision(id: string, createdS: number, convergedS?: number, source = 'local'): RevisionRecord {
  return {
    id,
    digest: id,
    source,
    createdAt: iso(createdS),
    resourceCount: 1,
    origin: 'test',
    admitted: true,
    convergedAt: convergedS === undefined ? undefined : iso(convergedS),
  };
}

describe('convergence SLI', () => {
  it('counts converged revisions by their time to converge, and long-unconverged ones as bad', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const [slo] = sloSpecs([{ name: 'fast', sli: 'convergence', objective: 95, threshold: '60s' }]);
    await store.putRevision(revision('r1', 0, 10)); // good: 10s
    await store.putRevision(revision('r2', 100, 300)); // bad: 200s
    await store.putRevision(revision('r3', 400)); // superseded after 20s, never converged: not counted
    await store.putRevision(revision('r4', 420)); // superseded after 180s unconverged: bad
    await store.putRevision(revision('r5', 600)); // current, unconverged for 30s at T0+630: not yet counted
    await store.putRevision({ ...revision('x', 50), admitted: false }); // refused: not an event
    const buckets = await sliBuckets(store, slo, 0, T0 + 630_000);
    assert.deepEqual(
      buckets.map((b) => [(b.at - T0) / 1000, b.good]).sort((a, b) => a[0] - b[0]),
      [
        [0, 1],
        [100, 0],
        [420, 0],
      ],
    );
    const later = await sliBuckets(store, slo, 0, T0 + 700_000);
    assert.equal(
      later.length,
      4,
      'the current revision counts as bad once it is unconverged past the threshold',
    );
    const status = await sloStatus(store, slo, T0 + 700_000);
    assert.deepEqual([status.budget.good, status.budget.total], [1, 4]);
    assert.match(
      describeSlo(status),
      /^SLO fast: 95% of revisions converge within 1m over 30d: 25\.00% \(1\/4\); error budget -1400% left; burn 5m .*BURNING/,
    );
    await store.close();
  });
});

describe('remediation SLI', () => {
  it('counts drift fixed by setpoint, good within the threshold', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const [slo] = sloSpecs([{ name: 'repair', sli: 'remediation', objective: 99, threshold: '1s' }]);
    const fast = await store.openEpisode({
      resourceId: 'File/default/a',
      kind: 'File',
      detectedAt: iso(0),
      recordedAt: iso(0),
    });
    await store.closeEpisode(fast, iso(0.2), 'auto');
    const slow = await store.openEpisode({
      resourceId: 'File/default/b',
      kind: 'File',
      detectedAt: iso(1),
      recordedAt: iso(1),
    });
    await store.closeEpisode(slow, iso(5), 'approved');
    const byHand = await store.openEpisode({
      resourceId: 'File/default/c',
      kind: 'File',
      detectedAt: iso(2),
      recordedAt: iso(2),
    });
    await store.closeEpisode(byHand, iso(2.1), 'resolved');
    await store.openEpisode({
      resourceId: 'File/default/d',
      kind: 'File',
      detectedAt: iso(3),
      recordedAt: iso(3),
    });
    const buckets = await sliBuckets(store, slo, T0 - 1000, T0 + 10_000);
    assert.deepEqual(
      buckets.map((b) => b.good),
      [1, 0],
    );
    await store.close();
  });
});

describe('held time is no error', () => {
  it('leaves out of the remediation SLI a slow repair of a resource that was held on purpose', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const [slo] = sloSpecs([{ name: 'repair', sli: 'remediation', objective: 99, threshold: '1s' }]);
    const slowRepair = async (name: string) => {
      const id = await store.openEpisode({
        resourceId: `File/default/${name}`,
        kind: 'File',
        detectedAt: iso(10),
        recordedAt: iso(10),
      });
      await store.closeEpisode(id, iso(3600), 'auto');
    };
    const event = (name: string, reason: string, s: number) => ({
      time: iso(s),
      type: 'Normal' as const,
      reason,
      message: reason,
      resourceId: `File/default/${name}`,
    });
    await store.appendEvents([
      event('frozen', 'DriftDetected', 10),
      event('frozen', 'Held', 11), // held by a change window after the drift was recorded
      event('already', 'Held', 5), // held before the drift and still held when it was recorded
      event('earlier', 'Held', 1), // held once, then applied before the drift: not held during it
      event('earlier', 'Applied', 2),
    ]);
    for (const name of ['frozen', 'already', 'earlier', 'slow']) await slowRepair(name);
    const buckets = await sliBuckets(store, slo, T0 - 1000, T0 + 4_000_000);
    assert.deepEqual(
      buckets.map((b) => [b.good, b.total]),
      [
        [0, 1],
        [0, 1],
      ],
      'only the repairs of "earlier" and "slow" count (bad); the held ones are left out',
    );
    await store.close();
  });

  it('does not count a current revision as unconverged while all it waits for is held (a freeze)', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const [slo] = sloSpecs([{ name: 'fast', sli: 'convergence', objective: 95, threshold: '60s' }]);
    const resource = (name: string, source: string, sync: string): ResourceRecord => ({
      id: `File/default/${name}`,
      kind: 'File',
      namespace: 'default',
      name,
      source,
      labels: {},
      spec: {},
      lifecycle: {},
      dependsOn: [],
      desiredDigest: 'd',
      managed: true,
      declared: true,
      sync: sync as ResourceRecord['sync'],
      health: 'Healthy',
      conditions: [],
      attempts: 0,
      updatedAt: iso(0),
    });
    await store.putRevision(revision('frozen', 0, undefined, 'app'));
    await store.putRevision(revision('stuck', 0, undefined, 'db'));
    await store.putResources([
      resource('a', 'app', 'InSync'),
      resource('b', 'app', 'Held'),
      resource('c', 'db', 'Held'),
      resource('d', 'db', 'Failed'),
    ]);
    const buckets = await sliBuckets(store, slo, 0, T0 + 3_600_000);
    assert.deepEqual(
      buckets.map((b) => [b.good, b.total]),
      [[0, 1]],
      'only the revision with a Failed resource counts, as bad',
    );
    await store.close();
  });
});
