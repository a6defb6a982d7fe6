/** The goal kinds against a real command: state, diff, health, events on state changes, trend from stored samples, remediation. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import { mayApply } from '../../provider/types.js';
import { objectiveProvider, targetProvider } from './index.js';
import { goalCtx } from './testkit.js';

function valueFile(dir: string, name: string, value: number): string {
  const path = join(dir, name);
  writeFileSync(path, `${value}\n`);
  return path;
}

describe('Target', () => {
  it('goes BehindTarget and back, with a diff, a health sentence, one event per change of state and a trend', async () => {
    const dir = tempDir();
    const file = valueFile(dir, 'v', 520);
    const spec = targetProvider.schema.parse({
      measure: { command: { run: ['cat', file] } },
      direction: 'above',
      threshold: 500,
      unit: 'signups',
      deadline: '2099-01-01',
    });
    const { ctx, events } = goalCtx('Target', 'signups', spec, dir);
    const first = await targetProvider.observe(spec, ctx);
    assert.equal(first?.state, 'MeetsTarget');
    assert.deepEqual(targetProvider.diff(spec, first), []);
    assert.equal(targetProvider.health!(spec, first).status, 'Healthy');
    assert.deepEqual(events, [], 'a goal met from the start is no news');

    valueFile(dir, 'v', 430);
    const behind = await targetProvider.observe(spec, ctx);
    assert.deepEqual(targetProvider.diff(spec, behind), [{ path: 'status.value', old: 430, new: '>= 500' }]);
    const health = targetProvider.health!(spec, behind);
    assert.equal(health.status, 'Degraded');
    assert.match(
      health.message ?? '',
      /^BehindTarget: 430 signups needs >= 500 signups \(gap 70 signups\); trend worsening .*2 samples\); \d+(\.\d)?d left$/,
    );
    assert.equal(events.length, 1);
    assert.match(events[0], /^BehindTarget: BehindTarget: 430 signups/);

    await targetProvider.observe(spec, ctx);
    assert.equal(events.length, 1, 'still behind: no second event');
    valueFile(dir, 'v', 510);
    const back = await targetProvider.observe(spec, ctx);
    assert.equal(back?.state, 'MeetsTarget');
    assert.equal(
      back?.results[''].trend.samples,
      3,
      'the trend reads the stored samples: the first, and the newest in place of readings closer than 1/500 of the review period',
    );
    assert.match(events[1], /^MeetsTarget: /);
  });

  it('acts only when it names a remediation, which runs and is followed by a new reading', async () => {
    const dir = tempDir();
    const file = valueFile(dir, 'v', 1);
    const plain = targetProvider.schema.parse({
      measure: { command: { run: ['cat', file] } },
      direction: 'above',
      threshold: 2,
    });
    assert.equal(mayApply(targetProvider, plain), false);
    const spec = targetProvider.schema.parse({
      ...plain,
      remediation: { run: `echo 3 > ${file}; echo scaled` },
    });
    assert.equal(mayApply(targetProvider, spec), true);
    const { ctx, events } = goalCtx('Target', 'capacity', spec, dir);
    const after = await targetProvider.apply!(spec, await targetProvider.observe(spec, ctx), ctx);
    assert.equal(after.state, 'MeetsTarget');
    assert.ok(
      events.some((e) => e === 'Remediated: ran `echo 3 > ' + file + '; echo scaled`: scaled'),
      events.join('\n'),
    );
  });
});

describe('Objective', () => {
  it('is met when all its key results are, with one change per key result behind', async () => {
    const dir = tempDir();
    const latency = valueFile(dir, 'latency', 250);
    const errors = valueFile(dir, 'errors', 2);
    const spec = objectiveProvider.schema.parse({
      description: 'fast and reliable checkout',
      keyResults: [
        {
          name: 'p95',
          measure: { command: { run: ['cat', latency] } },
          direction: 'below',
          threshold: 300,
          unit: 'ms',
        },
        {
          name: 'error-rate',
          measure: { command: { run: ['cat', errors] } },
          direction: '<',
          threshold: 1,
          unit: '%',
        },
      ],
    });
    const { ctx } = goalCtx('Objective', 'checkout', spec, dir);
    const a = await objectiveProvider.observe(spec, ctx);
    assert.equal(a?.state, 'BehindTarget');
    assert.deepEqual(objectiveProvider.diff(spec, a), [
      { path: 'status.keyResults.error-rate', old: 2, new: '< 1' },
    ]);
    assert.match(
      objectiveProvider.health!(spec, a).message ?? '',
      /^BehindTarget: 1 of 2 key results met; error-rate 2 % needs < 1 %/,
    );
    valueFile(dir, 'errors', 0.5);
    assert.equal((await objectiveProvider.observe(spec, ctx))?.state, 'MeetsTarget');
  });
  it('refuses two key results with one name', () => {
    const kr = { name: 'a', measure: { command: { run: 'echo 1' } }, direction: 'above', threshold: 1 };
    assert.throws(() => objectiveProvider.schema.parse({ keyResults: [kr, kr] }), /declared twice/);
  });
});
