/** Phase timings: recorded into a reconcile that collects them, in order, with failures; nothing outside one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInReconcile, type ReconcileContext } from './context.js';
import { phase, phaseSync } from './phases.js';

describe('reconcile phases', () => {
  it('are timed from the start of the reconcile, in the order they ran, failures with their message', async () => {
    const ctx: ReconcileContext = {
      reconcileId: 'r1',
      resourceId: 'File/default/a',
      phases: [],
      startedAt: performance.now(),
    };
    await runInReconcile(ctx, async () => {
      assert.equal(await phase('observe', () => sleep(20).then(() => 'seen')), 'seen');
      assert.equal(
        phaseSync('diff', () => 2),
        2,
      );
      await assert.rejects(
        phase('act', async () => {
          throw new Error('permission denied');
        }),
        /permission denied/,
      );
    });
    const [observe, diff, act] = ctx.phases!;
    assert.deepEqual(
      ctx.phases!.map((p) => p.name),
      ['observe', 'diff', 'act'],
    );
    assert.ok(observe.durationMs >= 15, `observe took ${observe.durationMs} ms`);
    assert.ok(diff.startMs >= observe.startMs + observe.durationMs - 0.01, 'diff starts after observe');
    assert.equal(act.error, 'permission denied');
    assert.equal(observe.error, undefined);
  });

  it('leave code outside a collecting reconcile as it is', async () => {
    assert.equal(await phase('observe', async () => 1), 1);
    const ctx: ReconcileContext = { reconcileId: 'r2', resourceId: 'File/default/a' };
    await runInReconcile(ctx, () => phase('plan', async () => 2));
    assert.equal(ctx.phases, undefined);
  });
});
