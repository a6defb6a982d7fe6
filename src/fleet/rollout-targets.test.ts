import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredState } from '../desired/desired.js';
import type { Resource } from '../manifest/index.js';
import { promotedAfter, rolloutSpecs, targetKind } from '../rollout/index.js';
import type { NodeRecord, NodeResourceStatus } from '../store/index.js';
import { assignRevision } from './assignment.js';
import { rolloutPins } from './rollout-pins.js';
import { NodeTargetDriver, nodeTargets } from './rollout-targets.js';

const file = (name: string, content: string, env = 'prod', labels: Record<string, string> = {}) =>
  ({
    id: `File/default/${name}`,
    key: { kind: 'File', namespace: 'default', name },
    metadata: { labels, annotations: {} },
    spec: { path: `/x/${name}`, content },
    digest: `${name}:${content}`,
    nodeSelector: { matchLabels: { env } },
    source: 'main',
    dependsOn: [],
    lifecycle: {},
  }) as unknown as Resource;

const state = (nodeResources: Resource[], resources: Resource[] = []) =>
  ({ resources, nodeResources }) as unknown as DesiredState;

const node = (name: string, labels: Record<string, string>) =>
  ({ name, labels, facts: {}, resources: [] }) as unknown as NodeRecord;

const spec = (extra: Record<string, unknown> = {}) =>
  rolloutSpecs([{ source: 'main', steps: [{ canary: 1 }, { percent: 100 }], ...extra }])[0];

const previous = state([file('app', 'v1'), file('motd', 'hi', 'staging')]);
const next = state([file('app', 'v2'), file('motd', 'hi', 'staging')]);
const nodes = [
  node('p2', { env: 'prod', ring: 'canary' }),
  node('s1', { env: 'staging' }),
  node('p1', { env: 'prod' }),
  { ...node('p3', { env: 'prod' }), revokedAt: '2026-01-01T00:00:00Z' },
];

describe('nodes as rollout targets', () => {
  it('are the enrolled nodes whose set changes, by name, with node labels and groups', () => {
    const s = spec({ groups: { canary: { selector: { ring: 'canary' } } } });
    const targets = nodeTargets(s, previous, next, nodes);
    assert.deepEqual(
      targets.map((t) => [t.id, t.groups, t.changedIds]),
      [
        ['node/p1', [], ['File/default/app']],
        ['node/p2', ['canary'], ['File/default/app']],
      ],
    );
    assert.equal(targets[1].labels.ring, 'canary');
    assert.deepEqual(promotedAfter(s.steps, targets, 0), ['node/p1']);
  });

  it('auto: nodes when every governed resource goes to nodes, else resources', () => {
    assert.equal(targetKind(spec(), previous, next), 'nodes');
    const mixed = state([file('app', 'v2')], [file('local', 'x')]);
    assert.equal(targetKind(spec(), previous, mixed), 'resources');
    assert.equal(targetKind(spec({ targets: 'nodes' }), previous, mixed), 'nodes');
    assert.equal(targetKind(spec({ selector: { tier: 'web' } }), previous, next), 'resources');
  });

  it('pins: a target not promoted keeps the previous declaration of governed resources; the others get the current set', () => {
    const s = spec();
    const targets = nodeTargets(s, previous, next, nodes);
    const record = {
      id: 'r1',
      from: 'a',
      to: 'b',
      targets: targets.map((t) => t.id),
      pins: { 'node/p1': 'b', 'node/p2': 'a' },
    };
    const current = { revision: 'b', resources: next.nodeResources! };
    const pins = rolloutPins(current, [{ spec: s, record, previous, next }]);
    const content = (n: NodeRecord) =>
      assignRevision(n, current, pins)
        .resources.filter((r) => r.id === 'File/default/app')
        .map((r) => (r.spec as { content: string }).content);
    assert.deepEqual(content(nodes[2]), ['v2']);
    assert.deepEqual(content(nodes[0]), ['v1']);
    assert.equal(assignRevision(nodes[0], current, pins).revision, 'a');
    // A node that is no target (its set does not change) follows the current revision.
    assert.equal(assignRevision(nodes[1], current, pins), current);
    // Promoted: the pin lets go.
    record.pins['node/p2'] = 'b';
    assert.deepEqual(content(nodes[0]), ['v2']);
  });
});

describe('the node driver judges fresh results only', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const APP = 'File/default/app';
  const WEB = 'HttpCheck/default/web';
  const status = (id: string, health: string, observed: number, applied?: number): NodeResourceStatus => ({
    id,
    sync: 'InSync',
    health,
    observedAt: at(observed),
    ...(applied === undefined ? {} : { appliedAt: at(applied) }),
  });
  /** p1 holds set d2, taken at 10 s; its file was applied at 12 s. */
  const driverFor = (resources: NodeResourceStatus[], agent: 'current' | 'older' = 'current') => {
    const taken = agent === 'current' ? { digest: 'd2', at: at(10) } : undefined;
    const n = { ...node('p1', { env: 'prod' }), appliedDigest: 'd2', taken, resources } as NodeRecord;
    return new NodeTargetDriver({
      list: async () => [n],
      get: async () => ({ node: n, set: { digest: 'd2', ids: [APP, WEB] } }),
    });
  };
  const target = { id: 'node/p1', labels: {}, groups: [], changed: true, changedIds: [APP] };

  it('a Healthy check made before the new file was applied is stale, whichever report carries it', async () => {
    const driver = driverFor([status(APP, 'Healthy', 12, 12), status(WEB, 'Healthy', 11)]);
    const [h] = (await driver.health([target], [WEB])).get(WEB)!;
    assert.equal(h.stale, true);
    assert.equal(h.why, 'no result observed since the node took its set');
    // Observed after the apply: it counts (Degraded then fails the gate).
    const after = driverFor([status(APP, 'Healthy', 12, 12), status(WEB, 'Degraded', 13)]);
    const [d] = (await after.health([target], [WEB])).get(WEB)!;
    assert.deepEqual([d.health, d.stale], ['Degraded', false]);
  });

  it('an agent that reports no observation times is never fresh: the gate waits', async () => {
    const old = driverFor(
      [
        { id: APP, sync: 'InSync', health: 'Healthy' },
        { id: WEB, sync: 'InSync', health: 'Healthy' },
      ],
      'older',
    );
    const [h] = (await old.health([target], [WEB])).get(WEB)!;
    assert.equal(h.stale, true);
    assert.match(h.why ?? '', /no observation times/);
    // Readiness takes such an agent at its word, as before.
    assert.equal((await old.readiness([target], 'r2')).ready, true);
  });

  it('is not ready on a status observed before the node took its set', async () => {
    const before = driverFor([status(APP, 'Healthy', 9, 5), status(WEB, 'Healthy', 9)]);
    const r = await before.readiness([target], 'r2');
    assert.equal(r.ready, false);
    assert.match(r.waiting[0], /not reported since the node took its set/);
    const taken = driverFor([status(APP, 'Healthy', 12, 12), status(WEB, 'Healthy', 11)]);
    assert.equal((await taken.readiness([target], 'r2')).ready, true);
  });
});
