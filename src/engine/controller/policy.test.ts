// Remediation mode decisions and the thrash guard's arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modeFor } from './policy.js';
import { flippingFields, isThrashing, recentRepairs } from './thrash.js';

describe('modeFor', () => {
  const base = { projectDefault: 'auto' as const, isDrift: true, destructive: false };
  it('auto repairs drift', () => assert.equal(modeFor(base).mode, 'apply'));
  it('alert reports drift but converges new revisions', () => {
    assert.equal(modeFor({ ...base, declared: 'alert' }).mode, 'report');
    assert.equal(modeFor({ ...base, declared: 'alert', isDrift: false }).mode, 'apply');
  });
  it('approve waits for everything', () => {
    assert.equal(modeFor({ ...base, declared: 'approve' }).mode, 'approve');
    assert.equal(modeFor({ ...base, projectDefault: 'approve', isDrift: false }).mode, 'approve');
  });
  it('destructive actions wait unless the resource says auto itself', () => {
    assert.equal(modeFor({ ...base, destructive: true }).mode, 'approve');
    assert.equal(modeFor({ ...base, destructive: true, declared: 'auto' }).mode, 'apply');
  });
  it('the delete budget forces approval', () =>
    assert.equal(modeFor({ ...base, declared: 'auto', overDeleteBudget: true }).mode, 'approve'));
});

describe('thrash guard', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const at = (min: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + min * 60_000).toISOString();
  const history = [
    { at: at(0), fields: ['spec.content'] },
    { at: at(2), fields: ['spec.content', 'spec.mode'] },
    { at: at(4), fields: ['spec.content'] },
    { at: at(6), fields: ['spec.content'] },
    { at: at(8), fields: ['spec.content'] },
  ];
  it('counts only repairs inside the window', () => {
    assert.equal(recentRepairs(history, now, 5 * 60_000).length, 2);
    assert.equal(recentRepairs(history, now, 11 * 60_000).length, 5);
  });
  it('trips at K repairs within W', () => {
    assert.equal(isThrashing(history, now, 11 * 60_000, 5), true);
    assert.equal(isThrashing(history, now, 11 * 60_000, 6), false);
    assert.equal(isThrashing(history, now, 5 * 60_000, 5), false);
  });
  it('names the fields that flip most', () => assert.deepEqual(flippingFields(history), ['spec.content']));
});
