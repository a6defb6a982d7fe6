/**
 * The runner with a real SQLite store and a scripted target driver (the
 * targets are the subject elsewhere: test/rollout.test.ts, test/rollout-fleet.test.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, tempDir } from '../../test/helpers.js';
import type { DesiredState } from '../desired/desired.js';
import type { RolloutRecord } from '../store/index.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { silentLogger } from '../telemetry/log.js';
import { RolloutRunner, type LoadedRevision, type RolloutHost } from './runner.js';
import type { RolloutSpec, StepSpec } from './schema.js';
import type { Readiness, RolloutTarget, TargetDriver, TargetHealth } from './targets.js';

const HOUR = 3_600_000;
const CHECK = 'HttpCheck/default/web';

const revision = (id: string): LoadedRevision => ({
  revision: {
    id,
    digest: id,
    source: 'app',
    createdAt: new Date().toISOString(),
    resourceCount: 0,
    origin: 'test',
    admitted: true,
  },
  desired: { nodeResources: [] } as unknown as DesiredState,
});

const spec = (steps: StepSpec[]): RolloutSpec => ({
  name: 'app',
  source: 'app',
  targets: 'nodes',
  groups: {},
  // An hour: the runner looks again within a test only when something makes it.
  intervalMs: HOUR,
  progressDeadlineMs: HOUR,
  steps,
});

/** Two node targets whose readiness and health the test sets. */
class ScriptedNodes implements TargetDriver {
  ready = false;
  result: Omit<TargetHealth, 'target'> = { health: 'Healthy' };

  targets(): RolloutTarget[] {
    return ['node/a', 'node/b'].map((id) => ({ id, labels: {}, groups: [], changed: true }));
  }

  async readiness(): Promise<Readiness> {
    return { ready: this.ready, waiting: this.ready ? [] : ['node/a: not yet'] };
  }

  async health(targets: readonly RolloutTarget[], ids: readonly string[]) {
    return new Map(ids.map((id) => [id, targets.map((t) => ({ target: t.id, ...this.result }))]));
  }
}

function harness() {
  const store = new SqliteStore(join(tempDir(), 'state.db'));
  const nodes = new ScriptedNodes();
  const metric = { set: () => undefined, inc: () => undefined };
  const host: RolloutHost = {
    store,
    logger: silentLogger(),
    metrics: {
      rolloutPhase: metric,
      rolloutStep: metric,
      rolloutGates: metric,
      rolloutRollbacks: metric,
    } as unknown as RolloutHost['metrics'],
    slos: [],
    drivers: { resources: nodes, nodes },
    event: () => undefined,
    audit: () => undefined,
    load: async (_source, id) => revision(id),
    settle: async () => undefined,
    pin: async () => undefined,
  };
  const runner = new RolloutRunner(host);
  const rolloutTo = async (to: string): Promise<RolloutRecord | undefined> =>
    (await store.listRollouts({ source: 'app' })).find((r) => r.to === to);
  return { store, nodes, runner, rolloutTo };
}

describe('RolloutRunner', () => {
  const opened: Array<ReturnType<typeof harness>> = [];
  const open = () => {
    const h = harness();
    opened.push(h);
    return h;
  };
  after(async () => {
    for (const h of opened) {
      await h.runner.stop();
      await h.store.close();
    }
  });

  it('supersedes a rollout that promoted every target from its revision: that is the one to roll back to', async () => {
    const { runner, rolloutTo } = open();
    const steps: StepSpec[] = [{ type: 'promote', promotion: { percent: 100 } }];
    // Every node pinned to B, not ready yet: the rollout of B is still in progress.
    await runner.start(spec(steps), revision('A'), revision('B'), 'test');
    assert.deepEqual((await rolloutTo('B'))?.pins, { 'node/a': 'B', 'node/b': 'B' });
    await runner.start(spec(steps), revision('B'), revision('C'), 'test');
    assert.equal((await rolloutTo('B'))?.phase, 'Superseded');
    const c = await rolloutTo('C');
    assert.equal(c?.from, 'B', 'the nodes run B: the rollout of C starts from it, not from A');
    assert.deepEqual(c?.pins, { 'node/a': 'C', 'node/b': 'C' });
  });

  it('supersedes a rollout that promoted some targets from where that one started', async () => {
    const { runner, rolloutTo } = open();
    const steps: StepSpec[] = [
      { type: 'promote', promotion: { count: 1 } },
      { type: 'promote', promotion: { percent: 100 } },
    ];
    await runner.start(spec(steps), revision('A'), revision('B'), 'test');
    assert.deepEqual((await rolloutTo('B'))?.pins, { 'node/a': 'B', 'node/b': 'A' });
    await runner.start(spec(steps), revision('B'), revision('C'), 'test');
    const c = await rolloutTo('C');
    assert.equal(c?.from, 'A', 'node/b still runs A');
    assert.deepEqual(c?.pins, { 'node/a': 'C', 'node/b': 'A' });
  });

  it('judges a waiting gate again as soon as a promoted target reports, not at the next interval', async () => {
    const { runner, nodes, rolloutTo } = open();
    nodes.ready = true;
    nodes.result = { health: 'Healthy', stale: true, why: 'no result observed since the node took its set' };
    const steps: StepSpec[] = [
      { type: 'promote', promotion: { count: 1 } },
      { type: 'gate', windowMs: 0, checks: [{ type: 'health', ids: [CHECK] }] },
    ];
    await runner.start(spec(steps), revision('A'), revision('B'), 'test');
    const waiting = await eventually(
      async () => {
        const r = await rolloutTo('B');
        return r?.step === 1 && r.gate?.length ? r : undefined;
      },
      'the gate waiting for a fresh result',
      10_000,
    );
    assert.match(waiting.gate![0].message, /waits for a result of .* on node\/a \(no result observed since/);
    // The next look would be an interval (an hour) away: the canary's report makes it now.
    nodes.result = { health: 'Healthy' };
    runner.targetReported('node/a');
    await eventually(
      async () => (await rolloutTo('B'))?.phase === 'Completed',
      'the gate passed and the rollout completed',
      10_000,
    );
  });
});
