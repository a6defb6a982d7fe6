/** Error-budget gates: what an exhausted budget holds, escalates or lets through. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../manifest/index.js';
import { budgetGate, exhausted, type BudgetReading, type GatedSlo } from './budget.js';

function resource(kind: string, o: { namespace?: string; priority?: 'critical' | 'normal' } = {}): Resource {
  const namespace = o.namespace ?? 'default';
  return {
    id: `${kind}/${namespace}/x`,
    key: { kind, namespace, name: 'x' },
    metadata: { name: 'x', namespace, labels: {}, annotations: {} },
    spec: {},
    dependsOn: [],
    lifecycle: o.priority ? { priority: o.priority } : {},
    origin: { file: 'm.yaml', line: 1, column: 1, index: 0 },
    digest: 'd',
  };
}

const reading = (remaining: number): BudgetReading => ({ remaining, at: 0 });

describe('error-budget gate', () => {
  const slos: GatedSlo[] = [
    {
      name: 'api',
      gate: { match: { namespaces: ['web'] }, remediation: { kinds: ['Process'], action: 'approve' } },
    },
    { name: 'db', gate: { below: 10, changes: 'allow', remediation: { kinds: ['Exec'], action: 'pause' } } },
  ];
  const readings = new Map<string, BudgetReading>();
  const gate = budgetGate(slos, () => readings, 1000);

  it('is open while every budget is above its floor, and without a reading yet', () => {
    assert.deepEqual(gate.check(resource('File', { namespace: 'web' }), false), { effect: 'none' });
    readings.set('api', reading(0.5));
    readings.set('db', reading(0.2));
    assert.deepEqual(gate.check(resource('File', { namespace: 'web' }), false), { effect: 'none' });
  });

  it('holds changes of matching resources once a budget is spent; repairs go on unless their kind is listed', () => {
    readings.set('api', reading(-0.25));
    const held = gate.check(resource('File', { namespace: 'web' }), false);
    assert.deepEqual(held, {
      effect: 'hold',
      slo: 'api',
      reason: 'error budget of SLO api is exhausted (-25% left): changes wait until it recovers',
    });
    assert.deepEqual(
      gate.check(resource('File', { namespace: 'payments' }), false),
      { effect: 'none' },
      'outside its match',
    );
    assert.deepEqual(
      gate.check(resource('File', { namespace: 'web' }), true),
      { effect: 'none' },
      'a File repair goes on',
    );
    assert.equal(gate.check(resource('Process', { namespace: 'web' }), true).effect, 'approve');
    assert.deepEqual(gate.check(resource('File', { namespace: 'web', priority: 'critical' }), false), {
      effect: 'none',
    });
  });

  it('counts a budget at or below `below` percent as exhausted; changes: allow lets changes through but still pauses listed repairs', () => {
    readings.set('api', reading(0.5));
    readings.set('db', reading(0.1));
    assert.equal(exhausted(slos[1].gate, reading(0.1)), true);
    assert.equal(exhausted(slos[1].gate, reading(0.11)), false);
    assert.deepEqual(gate.check(resource('File'), false), { effect: 'none' });
    assert.equal(gate.check(resource('Exec'), true).effect, 'hold');
  });

  it('releases by itself when a new reading shows the budget recovered', () => {
    readings.set('db', reading(0.9));
    assert.deepEqual(gate.check(resource('Exec'), true), { effect: 'none' });
  });
});
