/** Placement: which node gets which resource, and the warning for resources no node selects. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeSelector, Resource } from '../manifest/index.js';
import { NodeSetCache } from './compile.js';
import { NO_NODE_SELECTED, unplacedResources, unplacedWarnings } from './unplaced.js';

function resource(name: string, nodeSelector: NodeSelector): Resource {
  return {
    id: `File/default/${name}`,
    key: { kind: 'File', namespace: 'default', name },
    metadata: { name, namespace: 'default', labels: {}, annotations: {} },
    spec: { path: `/tmp/${name}`, content: name },
    dependsOn: [],
    lifecycle: {},
    origin: { file: 'fleet.yaml', line: 7, column: 1, index: 0 },
    digest: name,
    nodeSelector,
  };
}

const node = (labels: Record<string, string>, revokedAt?: string) => ({
  labels,
  facts: { os: { family: 'debian' } },
  ...(revokedAt ? { revokedAt } : {}),
});

const prod = resource('prod', { matchLabels: { env: 'prod' } });
const debian = resource('debian', {
  matchExpressions: [{ key: 'facts.os.family', operator: 'In', values: ['debian'] }],
});
const mars = resource('mars', {
  matchLabels: { env: 'prod' },
  matchExpressions: [{ key: 'dc', operator: 'Exists' }],
});

describe('unplaced resources', () => {
  it('names each resource no enrolled node selects, with its selector, file and line', () => {
    const nodes = [node({ env: 'prod' }), node({ env: 'staging' })];
    assert.deepEqual(
      unplacedResources([prod, debian, mars], nodes).map((r) => r.id),
      ['File/default/mars'],
    );
    const [w, ...rest] = unplacedWarnings([prod, debian, mars], nodes);
    assert.equal(rest.length, 0);
    assert.equal(w.severity, 'warning');
    assert.equal(w.code, NO_NODE_SELECTED);
    assert.equal(w.resourceId, 'File/default/mars');
    assert.equal(w.field, 'nodeSelector');
    assert.equal(w.file, 'fleet.yaml');
    assert.equal(w.line, 7);
    assert.match(w.summary, /env=prod, dc/);
  });

  it('does not count revoked nodes, and warns for every node resource when none is enrolled', () => {
    assert.deepEqual(
      unplacedResources([prod], [node({ env: 'prod' }, '2026-01-01T00:00:00Z')]).map((r) => r.id),
      ['File/default/prod'],
    );
    assert.equal(unplacedWarnings([prod, debian], []).length, 2);
  });
});

describe('node sets', () => {
  it('hold only the resources that select the node', () => {
    const cache = new NodeSetCache();
    const assignment = { revision: 'r1', resources: [prod, debian, mars] };
    const names = (labels: Record<string, string>) =>
      cache.setFor(node(labels), assignment).documents.map((d) => d.metadata.name);
    assert.deepEqual(names({ env: 'prod' }), ['debian', 'prod']);
    assert.deepEqual(names({ env: 'prod', dc: 'x' }), ['debian', 'mars', 'prod']);
    assert.deepEqual(names({ env: 'staging' }), ['debian']);
    const bare = cache.setFor({ labels: {}, facts: {} }, assignment);
    assert.deepEqual(bare.documents, []);
  });
});
