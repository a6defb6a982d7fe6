import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rolloutSpecs } from './schema.js';
import { pinsAfter, promotedAfter } from './steps.js';
import type { RolloutTarget } from './targets.js';

const targets: RolloutTarget[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => ({
  id: `File/default/${n}`,
  labels: { zone: n < 'e' ? 'east' : 'west' },
  groups: n === 'f' ? ['canary'] : [],
  changed: true,
}));

const spec = (steps: unknown[]) =>
  rolloutSpecs([{ source: 'app', groups: { canary: { resources: ['File/default/f'] } }, steps } as never])[0];

describe('step planning', () => {
  it('promotes a share of the targets in their stable order, rounded up, cumulatively', () => {
    const { steps } = spec([
      { percent: 25 },
      { gate: { checks: [{ approval: true }] } },
      { percent: 50 },
      { percent: 100 },
    ]);
    assert.deepEqual(promotedAfter(steps, targets, 0), ['File/default/a', 'File/default/b']);
    assert.deepEqual(
      promotedAfter(steps, targets, 1),
      ['File/default/a', 'File/default/b'],
      'a gate promotes nothing',
    );
    assert.equal(promotedAfter(steps, targets, 2).length, 4);
    assert.equal(promotedAfter(steps, targets, 3).length, 8);
    assert.equal(
      promotedAfter(spec([{ percent: 10 }]).steps, targets, 0).length,
      1,
      '10% of 8 is 1 after rounding up',
    );
  });

  it('starts from a canary group, then fills a share with the first targets not promoted yet', () => {
    const { steps } = spec([{ canary: 'canary' }, { setWeight: 25 }]);
    assert.deepEqual(promotedAfter(steps, targets, 0), ['File/default/f']);
    assert.deepEqual(
      promotedAfter(steps, targets, 1),
      ['File/default/a', 'File/default/f'],
      '25% = 2: the canary and the first other one',
    );
  });

  it('takes a count, a percentage string and a selector as canaries', () => {
    assert.deepEqual(promotedAfter(spec([{ canary: 3 }]).steps, targets, 0).length, 3);
    assert.deepEqual(promotedAfter(spec([{ canary: '50%' }]).steps, targets, 0).length, 4);
    assert.deepEqual(promotedAfter(spec([{ canary: { selector: { zone: 'west' } } }]).steps, targets, 0), [
      'File/default/e',
      'File/default/f',
      'File/default/g',
      'File/default/h',
    ]);
  });

  it('keeps the order stable when targets are added: earlier ones stay promoted', () => {
    const { steps } = spec([{ percent: 25 }]);
    const more = [...targets, { id: 'File/default/z', labels: {}, groups: [], changed: true }];
    assert.deepEqual(promotedAfter(steps, more, 0).slice(0, 2), promotedAfter(steps, targets, 0));
  });

  it('pins promoted targets to the new revision and the rest to the old one', () => {
    const pins = pinsAfter(spec([{ canary: 1 }]).steps, targets, 0, { from: 'r1', to: 'r2' });
    assert.equal(pins['File/default/a'], 'r2');
    assert.equal(pins['File/default/b'], 'r1');
    assert.equal(Object.keys(pins).length, 8);
  });
});
