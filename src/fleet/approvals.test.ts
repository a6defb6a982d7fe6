import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApprovalRecord } from '../store/index.js';
import {
  decideFleet,
  decisionsFor,
  fleetApprovalId,
  fleetState,
  mergeNodeReport,
  type NodeApprovalReport,
} from './approvals.js';

const report = (localId: string, over: Partial<NodeApprovalReport> = {}): NodeApprovalReport => ({
  localId,
  resourceId: 'File/default/motd',
  revision: 'r2',
  op: 'update',
  reason: 'content differs (remediation: approve)',
  destructive: false,
  changes: [{ path: 'spec.content', old: 'v1', new: 'v2' }],
  desiredDigest: `d-${localId}`,
  changeDigest: 'c1:update',
  state: 'pending',
  createdAt: '2026-12-06T00:00:00.000Z',
  ...over,
});

/** Merges reports of several nodes in turn, as the server does. */
function mergeAll(reports: Array<[string, NodeApprovalReport[]]>, known = new Map<string, ApprovalRecord>()) {
  for (const [node, r] of reports)
    for (const rec of mergeNodeReport(known, node, r, '2026-12-06T00:01:00.000Z').changed)
      known.set(rec.id, rec);
  return known;
}

test('the same change of the same revision on three nodes is one approval with three targets', () => {
  const known = mergeAll([
    ['a', [report('1')]],
    ['b', [report('2')]],
    ['c', [report('3')]],
  ]);
  assert.equal(known.size, 1);
  const [rec] = known.values();
  assert.equal(rec.id, fleetApprovalId('File/default/motd', 'r2', 'c1:update'));
  assert.equal(rec.state, 'pending');
  assert.deepEqual(
    rec.fleet!.targets.map((t) => [t.node, t.localId, t.state]),
    [
      ['a', '1', 'pending'],
      ['b', '2', 'pending'],
      ['c', '3', 'pending'],
    ],
  );
});

test('another change digest or revision is another approval', () => {
  const known = mergeAll([
    ['a', [report('1')]],
    ['b', [report('2', { changeDigest: 'c2:update' })]],
    ['c', [report('3', { revision: 'r3' })]],
  ]);
  assert.equal(known.size, 3);
});

test('a report that repeats what is known changes nothing', () => {
  const known = mergeAll([['a', [report('1')]]]);
  assert.deepEqual(mergeNodeReport(known, 'a', [report('1')], 'later').changed, []);
});

test('approving one node leaves the others pending; their decisions go to that node only', () => {
  const known = mergeAll([
    ['a', [report('1')]],
    ['b', [report('2')]],
  ]);
  const [rec] = known.values();
  const { record, nodes } = decideFleet(rec, 'approved', { actor: 'alice', now: 'now', nodes: ['b'] });
  assert.deepEqual(nodes, ['b']);
  assert.equal(record.state, 'pending');
  assert.deepEqual(decisionsFor([record], 'a', new Set(['1'])), []);
  assert.deepEqual(decisionsFor([record], 'b', new Set(['2'])), [
    { localId: '2', approval: rec.id, state: 'approved', by: 'alice', at: 'now' },
  ]);
  // Once the node's local approval is no longer pending, nothing is sent again.
  assert.deepEqual(decisionsFor([record], 'b', new Set()), []);
  const all = decideFleet(record, 'approved', { actor: 'bob', now: 'later' });
  assert.deepEqual(all.nodes, ['a']);
  assert.equal(all.record.state, 'approved');
});

test('deciding for a node without a pending target is refused, naming the pending ones', () => {
  const [rec] = mergeAll([['a', [report('1')]]]).values();
  assert.throws(
    () => decideFleet(rec, 'rejected', { actor: 'alice', now: 'now', nodes: ['zz'] }),
    /no pending target on zz; pending: a/,
  );
});

test('the node settles its target: applied once applied, stale when it stops proposing it', () => {
  const known = mergeAll([
    ['a', [report('1')]],
    ['b', [report('2')]],
  ]);
  const [id] = known.keys();
  known.set(id, decideFleet(known.get(id)!, 'approved', { actor: 'alice', now: 'now' }).record);
  // Approved on the server, not yet seen by the node: still pending locally keeps the server's decision.
  mergeAll([['a', [report('1')]]], known);
  assert.equal(known.get(id)!.fleet!.targets[0].state, 'approved');
  mergeAll([['a', [report('1', { state: 'applied' })]]], known);
  assert.equal(known.get(id)!.fleet!.targets[0].state, 'applied');
  mergeAll([['b', []]], known);
  assert.equal(known.get(id)!.fleet!.targets[1].state, 'stale');
  assert.equal(known.get(id)!.state, 'applied');
});

test('a settled local approval the server never knew makes no fleet approval', () => {
  assert.equal(mergeAll([['a', [report('1', { state: 'stale' })]]]).size, 0);
});

test("the approval's state follows its targets", () => {
  const t = (state: ApprovalRecord['state']) => ({
    node: 'n',
    localId: 'l',
    desiredDigest: 'd',
    state,
    reportedAt: 'now',
  });
  assert.equal(fleetState([t('applied'), t('pending')]), 'pending');
  assert.equal(fleetState([t('applied'), t('approved')]), 'approved');
  assert.equal(fleetState([t('applied'), t('rejected'), t('stale')]), 'applied');
  assert.equal(fleetState([t('rejected'), t('stale')]), 'rejected');
  assert.equal(fleetState([t('stale')]), 'stale');
});
