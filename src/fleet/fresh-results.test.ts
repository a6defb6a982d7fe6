import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeResourceStatus } from '../store/index.js';
import {
  freshMarks,
  freshSince,
  reportedSinceTaken,
  resultFreshness,
  settled,
  takenOf,
} from './fresh-results.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const taken = { digest: 'd2', at: at(10) };
const file = (observed: number, applied?: number): NodeResourceStatus => ({
  id: 'File/default/app',
  sync: 'InSync',
  health: 'Healthy',
  observedAt: at(observed),
  ...(applied === undefined ? {} : { appliedAt: at(applied) }),
});
const check = (observed: number | undefined, health = 'Healthy'): NodeResourceStatus => ({
  id: 'HttpCheck/default/web',
  sync: 'InSync',
  health,
  ...(observed === undefined ? {} : { observedAt: at(observed) }),
});

describe('freshSince', () => {
  it('is when the node took its set, or the last apply since if later', () => {
    assert.equal(freshSince(taken, [file(5, 5), check(9)]), Date.parse(at(10)));
    assert.equal(freshSince(taken, [file(12, 12), check(11)]), Date.parse(at(12)));
    // A restart that followed the file (applied later still) moves it again.
    const restarted = { ...file(13, 13), id: 'Process/default/web' };
    assert.equal(freshSince(taken, [file(12, 12), restarted, check(11)]), Date.parse(at(13)));
  });
});

describe('freshMarks and settled', () => {
  it('marks a result observed since the node took its set and applied what changed', () => {
    assert.deepEqual(freshMarks(taken, [file(12, 12), check(11)]), [true, false]);
    assert.deepEqual(freshMarks(taken, [file(12, 12), check(12)]), [true, true]);
    assert.equal(settled(taken, [file(12, 12), check(11)]), false);
    assert.equal(settled(taken, [file(12, 12), check(14)]), true);
  });

  it('marks nothing and is never settled without a set taken, or for a status without a time', () => {
    assert.deepEqual(freshMarks(undefined, [check(12)]), []);
    assert.equal(settled(undefined, [check(12)]), false);
    assert.deepEqual(freshMarks(taken, [check(undefined)]), [false]);
  });
});

describe('resultFreshness', () => {
  const node = (resources: NodeResourceStatus[], t = taken) => ({ taken: t, resources });

  it('counts a result observed after the node took the set and the file was applied', () => {
    assert.deepEqual(resultFreshness(node([file(12, 12), check(13)]), 'd2', 'HttpCheck/default/web'), {
      fresh: true,
    });
  });

  it('does not count a result from before the apply, even one reported after the node took the set', () => {
    // The check ran at 11 s against the previous file; the new one was applied at 12 s.
    const got = resultFreshness(node([file(12, 12), check(11, 'Healthy')]), 'd2', 'HttpCheck/default/web');
    assert.deepEqual(got, { fresh: false, why: 'no result observed since the node took its set' });
  });

  it('does not count results of another set, or of a resource not reported', () => {
    assert.equal(resultFreshness(node([check(13)]), 'd3', 'HttpCheck/default/web').fresh, false);
    assert.equal(resultFreshness(node([file(12, 12)]), 'd2', 'HttpCheck/default/web').fresh, false);
  });

  it('does not count the results of an agent that sends no observation times', () => {
    const old = { resources: [{ id: 'HttpCheck/default/web', sync: 'InSync', health: 'Healthy' }] };
    const got = resultFreshness(old, 'd2', 'HttpCheck/default/web');
    assert.equal(got.fresh, false);
    assert.match((got as { why: string }).why, /no observation times/);
  });
});

describe('reportedSinceTaken', () => {
  it('a status observed before the node took its set is not ready; an older agent is taken at its word', () => {
    assert.equal(reportedSinceTaken({ taken }, 'd2', file(9, 5)), false);
    assert.equal(reportedSinceTaken({ taken }, 'd2', file(12, 12)), true);
    assert.equal(reportedSinceTaken({ taken }, 'd3', file(12, 12)), false);
    assert.equal(reportedSinceTaken({}, 'd2', file(9, 5)), true);
  });
});

describe('takenOf', () => {
  it('keeps a well-formed taken, refuses anything else', () => {
    assert.deepEqual(takenOf({ digest: 'd', at: at(1), extra: 1 }), { digest: 'd', at: at(1) });
    for (const bad of [
      undefined,
      null,
      'x',
      { digest: 'd' },
      { digest: 1, at: at(1) },
      { digest: 'd', at: 'no' },
    ])
      assert.equal(takenOf(bad), undefined, JSON.stringify(bad));
  });
});
