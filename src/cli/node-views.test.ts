import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeDocument } from '../fleet/compile.js';
import { nodePlan } from './node-views.js';

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
