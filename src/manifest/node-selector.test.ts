import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatSelector,
  intersectSelectors,
  NodeSelectorSchema,
  selectionLabels,
  selectorMatches,
} from './node-selector.js';

const prod = { env: 'prod', role: 'web' };

describe('selectorMatches', () => {
  it('matches when every matchLabels pair is present with its value', () => {
    assert.equal(selectorMatches({ matchLabels: { env: 'prod' } }, prod), true);
    assert.equal(selectorMatches({ matchLabels: { env: 'staging' } }, prod), false);
    assert.equal(selectorMatches({ matchLabels: { zone: 'a' } }, prod), false);
  });
  it('In needs the label with one of the values', () => {
    const s = { matchExpressions: [{ key: 'env', operator: 'In' as const, values: ['prod', 'dr'] }] };
    assert.equal(selectorMatches(s, prod), true);
    assert.equal(selectorMatches(s, { env: 'dev' }), false);
    assert.equal(selectorMatches(s, {}), false);
  });
  it('NotIn is satisfied by a node without the label, as in Kubernetes', () => {
    const s = { matchExpressions: [{ key: 'env', operator: 'NotIn' as const, values: ['prod'] }] };
    assert.equal(selectorMatches(s, prod), false);
    assert.equal(selectorMatches(s, { env: 'dev' }), true);
    assert.equal(selectorMatches(s, {}), true);
  });
  it('Exists and DoesNotExist look at the key only', () => {
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'role', operator: 'Exists' }] }, prod), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, prod), false);
    assert.equal(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, prod),
      true,
    );
    assert.equal(
      selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, prod),
      false,
    );
  });
  it('an empty selector matches every node', () => {
    assert.equal(selectorMatches({}, {}), true);
  });
  it('facts are labels under facts.*', () => {
    const labels = selectionLabels(
      { env: 'prod' },
      { os: { family: 'debian' }, cpus: 4, ipv4: ['10.0.0.1'] },
    );
    assert.equal(labels['facts.os.family'], 'debian');
    assert.equal(labels['facts.cpus'], '4');
    assert.equal(labels['facts.ipv4.0'], '10.0.0.1');
    assert.equal(selectorMatches({ matchLabels: { 'facts.os.family': 'debian' } }, labels), true);
  });
});

describe('NodeSelectorSchema', () => {
  it('refuses In without values and Exists with values, naming the field', () => {
    const r = NodeSelectorSchema.safeParse({
      matchExpressions: [
        { key: 'env', operator: 'In' },
        { key: 'env', operator: 'Exists', values: ['x'] },
      ],
    });
    assert.equal(r.success, false);
    const paths = r.error.issues.map((i) => i.path.join('.'));
    assert.deepEqual(paths, ['matchExpressions.0.values', 'matchExpressions.1.values']);
  });
  it('refuses an unknown operator and unknown fields', () => {
    assert.equal(
      NodeSelectorSchema.safeParse({ matchExpressions: [{ key: 'a', operator: 'Gt' }] }).success,
      false,
    );
    assert.equal(NodeSelectorSchema.safeParse({ matchLabel: { a: 'b' } }).success, false);
  });
});

describe('intersectSelectors', () => {
  it('keeps every requirement of both', () => {
    const s = intersectSelectors(
      { matchLabels: { env: 'prod' } },
      { matchLabels: { env: 'dev', role: 'web' } },
    )!;
    assert.equal(selectorMatches(s, { env: 'prod', role: 'web' }), false);
    assert.equal(formatSelector(s), 'env=prod, role=web, env in (dev)');
  });
});
