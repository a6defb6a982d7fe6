import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeDocument } from '../fleet/compile.js';
import { WindowsSchema } from '../windows/index.js';
import { holdByWindows, nodePlan } from './node-views.js';

const doc = (name: string): NodeDocument => ({
  kind: 'File',
  metadata: { name, namespace: 'default' },
  spec: { path: `/tmp/${name}` },
});
const status = (id: string, sync: string) => ({ id, sync, health: 'Healthy', updatedAt: '' });

describe('nodePlan', () => {
  it('creates what the node has not reported, changes what is out of sync, removes what left its set', () => {
    const set = { digest: 'd1', documents: [doc('new'), doc('ok'), doc('drift')] };
    const node = {
      appliedDigest: 'd1',
      resources: [
        status('File/default/ok', 'InSync'),
        status('File/default/drift', 'Drifted'),
        status('File/default/gone', 'InSync'),
      ],
    };
    assert.deepEqual(
      nodePlan(set, node as never).map((a) => `${a.op} ${a.id}`),
      [
        'create File/default/new',
        'noop File/default/ok',
        'update File/default/drift',
        'delete File/default/gone',
      ],
    );
  });

  it('changes every resource of a node that enforces an older set', () => {
    const set = { digest: 'd2', documents: [doc('ok')] };
    const node = {
      appliedDigest: 'd1',
      appliedRevision: 'r1',
      resources: [status('File/default/ok', 'InSync')],
    };
    const [a] = nodePlan(set, node);
    assert.equal(a.op, 'update');
    assert.match(a.reason, /older set \(r1\)/);
  });
});

describe('holdByWindows', () => {
  it("marks the node's changes a window holds now, and leaves the rest", () => {
    const windows = WindowsSchema.parse([
      {
        name: 'freeze',
        type: 'deny',
        schedule: '* * * * *',
        duration: '1h',
        match: { labels: { tier: 'web' } },
      },
    ]);
    const web = { ...doc('web'), metadata: { name: 'web', namespace: 'default', labels: { tier: 'web' } } };
    const urgent = {
      ...web,
      metadata: { ...web.metadata, name: 'urgent' },
      lifecycle: { priority: 'critical' as const },
    };
    const actions = holdByWindows(
      [
        { id: 'File/default/web', op: 'update', reason: 'drifted' },
        { id: 'File/default/db', op: 'create', reason: 'new' },
        { id: 'File/default/urgent', op: 'update', reason: 'drifted' },
      ],
      [web, doc('db'), urgent],
      windows,
      new Date(),
    );
    assert.deepEqual(
      actions.map((a) => a.heldBy?.window ?? '-'),
      ['freeze', '-', '-'],
    );
  });
});
