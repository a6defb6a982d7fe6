import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allOf,
  anyOf,
  hasLabels,
  inNamespaces,
  matchPredicate,
  not,
  ofKinds,
  type PolicySubject,
} from './index.js';

const web: PolicySubject = {
  kind: 'File',
  namespace: 'web',
  labels: { tier: 'critical', owner: 'team-web' },
};
const db: PolicySubject = { kind: 'Process', namespace: 'db', labels: {} };
const yes = () => true;
const no = () => false;

describe('policy predicates', () => {
  it('allOf holds when every predicate holds, and with none', () => {
    assert.equal(allOf(yes, yes)(web), true);
    assert.equal(allOf(yes, no)(web), false);
    assert.equal(allOf()(web), true);
  });

  it('anyOf holds when one predicate holds, never with none', () => {
    assert.equal(anyOf(no, yes)(web), true);
    assert.equal(anyOf(no, no)(web), false);
    assert.equal(anyOf()(web), false);
  });

  it('not inverts', () => {
    assert.equal(not(yes)(web), false);
    assert.equal(not(ofKinds(['Process']))(web), true);
  });

  it('ofKinds and inNamespaces test membership', () => {
    assert.equal(ofKinds(['File', 'Directory'])(web), true);
    assert.equal(ofKinds(['Directory'])(web), false);
    assert.equal(inNamespaces(['web'])(web), true);
    assert.equal(inNamespaces(['web'])(db), false);
  });

  it('hasLabels needs every label with its exact value, and ignores inherited keys', () => {
    assert.equal(hasLabels({ tier: 'critical' })(web), true);
    assert.equal(hasLabels({ tier: 'critical', owner: 'team-db' })(web), false);
    assert.equal(hasLabels({ tier: 'critical' })(db), false);
    assert.equal(hasLabels({ toString: 'x' })({ ...db, labels: {} }), false);
    assert.equal(hasLabels({})(db), true);
  });

  it('matchPredicate combines kinds, namespaces and labels; no match applies to everything', () => {
    const p = matchPredicate({ kinds: ['File'], namespaces: ['web'], labels: { tier: 'critical' } });
    assert.equal(p(web), true);
    assert.equal(p({ ...web, namespace: 'db' }), false);
    assert.equal(p({ ...web, kind: 'Directory' }), false);
    assert.equal(p({ ...web, labels: {} }), false);
    assert.equal(matchPredicate(undefined)(db), true);
    assert.equal(matchPredicate({})(db), true);
    assert.equal(matchPredicate({ labels: {} })(db), true);
  });
});
