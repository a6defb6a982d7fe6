/** statusSignature: what a record shows that can change without an action, so unchanged records are not rewritten. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusSignature, type ResourceRecord } from './types.js';

type Signed = Parameters<typeof statusSignature>[0];

const base: Signed = {
  desiredDigest: 'd1',
  sync: 'InSync',
  health: 'Healthy',
  healthMessage: 'ok',
  origin: 'a.yaml:1',
  declared: true,
  source: 'local',
  lastError: undefined,
};

describe('statusSignature', () => {
  it('is the same for the same status', () => {
    assert.equal(statusSignature({ ...base }), statusSignature(base));
  });

  it('changes when any signed field changes', () => {
    const changes: Array<Partial<Signed>> = [
      { desiredDigest: 'd2' },
      { sync: 'Drifted' },
      { health: 'Degraded' },
      { healthMessage: '1 of 2 ready' },
      { healthMessage: undefined },
      { origin: 'b.yaml:1' },
      { declared: false },
      { source: 'git' },
      { lastError: 'permission denied' },
    ];
    const seen = new Set([statusSignature(base)]);
    for (const c of changes) {
      const sig = statusSignature({ ...base, ...c });
      assert.ok(!seen.has(sig), `${JSON.stringify(c)} did not change the signature`);
      seen.add(sig);
    }
  });

  it('ignores fields that change on every observation', () => {
    const before: Signed & Partial<ResourceRecord> = {
      ...base,
      attempts: 0,
      updatedAt: 'a',
      lastObservedAt: 'a',
    };
    const after: Signed & Partial<ResourceRecord> = {
      ...before,
      attempts: 5,
      updatedAt: 'b',
      lastObservedAt: 'b',
    };
    assert.equal(statusSignature(after), statusSignature(before));
  });

  it('does not confuse values that would run together without a separator', () => {
    assert.notEqual(
      statusSignature({ ...base, healthMessage: 'ab', origin: 'c' }),
      statusSignature({ ...base, healthMessage: 'a', origin: 'bc' }),
    );
  });
});
