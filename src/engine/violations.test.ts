/** Recording violations: rows in a real store, counts in real metrics, audit entries only for denies that blocked. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import type { Violation } from '../policy/index.js';
import type { AuditInput } from '../store/index.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { Metrics } from '../telemetry/metrics.js';
import { recordViolations } from './violations.js';

const store = new SqliteStore(join(tempDir(), 'state.db'));
after(() => store.close());

const v = (policy: string, action: Violation['action'], extra: Partial<Violation> = {}): Violation => ({
  policy,
  action,
  resourceId: `File/default/${policy}`,
  message: `${policy} says no`,
  phase: 'admission',
  ...extra,
});

async function count(metrics: Metrics, policy: string, action: string): Promise<number> {
  const m = await metrics.policyViolations.get();
  return m.values.find((x) => x.labels.policy === policy && x.labels.action === action)?.value ?? 0;
}

describe('recording violations', () => {
  it('stores every violation, counts it, and audits only the denies that blocked', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const audits: Array<Omit<AuditInput, 'time' | 'actor'>> = [];
    const sinks = { store, metrics, audit: (e: Omit<AuditInput, 'time' | 'actor'>) => void audits.push(e) };
    const rows = await recordViolations(
      [v('a', 'deny'), v('b', 'warn'), v('c', 'audit', { error: 'No such key: owner' })],
      { revisionId: 'refused-1', blocked: true, at: '2024-01-01T00:00:00.000Z' },
      sinks,
    );
    assert.deepEqual(
      rows.map((r) => [r.policy, r.action, r.blocked]),
      [
        ['a', 'deny', true],
        ['b', 'warn', false],
        ['c', 'audit', false],
      ],
    );
    assert.equal(rows[2].message, 'c says no (the rule failed: No such key: owner)');
    assert.deepEqual((await store.listViolations()).map((r) => [r.policy, r.revisionId, r.time]).reverse(), [
      ['a', 'refused-1', '2024-01-01T00:00:00.000Z'],
      ['b', 'refused-1', '2024-01-01T00:00:00.000Z'],
      ['c', 'refused-1', '2024-01-01T00:00:00.000Z'],
    ]);
    assert.deepEqual(audits, [
      {
        action: 'policy.deny',
        resourceId: 'File/default/a',
        revisionId: 'refused-1',
        result: 'blocked',
        detail: { policy: 'a', phase: 'admission', message: 'a says no' },
      },
    ]);
    assert.equal(await count(metrics, 'a', 'deny'), 1);
    assert.equal(await count(metrics, 'c', 'audit'), 1);

    // Not blocking (an admitted revision, a runtime finding): a deny is recorded, not audited.
    await recordViolations(
      [v('a', 'deny', { phase: 'runtime' })],
      { revisionId: 'rev2', blocked: false },
      sinks,
    );
    assert.equal(audits.length, 1);
    assert.equal(await count(metrics, 'a', 'deny'), 2);
    assert.equal((await store.listViolations({ policy: 'a' }))[0].blocked, false);
  });

  it('records nothing for no violations', async () => {
    const before = (await store.listViolations({ limit: 1000 })).length;
    assert.deepEqual(
      await recordViolations([], { blocked: true }, { store, audit: () => assert.fail('no audit') }),
      [],
    );
    assert.equal((await store.listViolations({ limit: 1000 })).length, before);
  });
});
