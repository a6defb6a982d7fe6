/** Goal arithmetic: direction, gap, trend, deadline and the objective roll-up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEvaluation, evaluate, gapOf, meets, rollUp, trendOf } from './evaluate.js';

const DAY = 86_400_000;
const T0 = Date.parse('2027-01-10T00:00:00Z');

describe('direction and gap', () => {
  it('above and >= need at least the threshold, > more than it; below and <= at most, < less', () => {
    assert.deepEqual(
      [meets('above', 500, 500), meets('>=', 499, 500), meets('>', 500, 500), meets('>', 501, 500)],
      [true, false, false, true],
    );
    assert.deepEqual(
      [meets('below', 300, 300), meets('<=', 301, 300), meets('<', 300, 300), meets('<', 299, 300)],
      [true, false, false, true],
    );
  });
  it('the gap is what the value must still move, 0 once met', () => {
    assert.equal(gapOf('above', 420, 500), 80);
    assert.equal(gapOf('above', 520, 500), 0);
    assert.equal(gapOf('below', 340, 300), 40);
    assert.equal(gapOf('below', 200, 300), 0);
  });
});

describe('trend over the review period', () => {
  const rising = [0, 1, 2, 3].map((d) => ({ at: T0 + d * DAY, value: 400 + 10 * d }));
  it('is the least-squares slope per day; improving when it moves the good way', () => {
    const up = trendOf(rising, 'above', T0 + 3 * DAY, 7 * DAY);
    assert.equal(Math.round(up.perDay), 10);
    assert.equal(up.direction, 'improving');
    assert.equal(up.samples, 4);
    assert.equal(trendOf(rising, 'below', T0 + 3 * DAY, 7 * DAY).direction, 'worsening');
  });
  it('leaves out samples older than the review period, and is flat with fewer than two', () => {
    const t = trendOf(rising, 'above', T0 + 3 * DAY, 1.5 * DAY);
    assert.equal(t.samples, 2);
    assert.deepEqual(trendOf(rising.slice(0, 1), 'above', T0, 7 * DAY), {
      perDay: 0,
      direction: 'flat',
      samples: 1,
      spanMs: 0,
    });
    const steady = [0, 1, 2].map((d) => ({ at: T0 + d * DAY, value: 7 }));
    assert.equal(trendOf(steady, 'above', T0 + 2 * DAY, 7 * DAY).direction, 'flat');
  });
});

describe('evaluate', () => {
  it('is BehindTarget with gap, trend, the time the trend needs, and the time left to the deadline', () => {
    const e = evaluate({
      value: 440,
      threshold: 500,
      direction: 'above',
      history: [0, 1, 2].map((d) => ({ at: T0 + d * DAY, value: 410 + 10 * d })),
      now: T0 + 3 * DAY,
      reviewMs: 7 * DAY,
      deadline: T0 + 20 * DAY,
    });
    assert.equal(e.state, 'BehindTarget');
    assert.equal(e.gap, 60);
    assert.equal(e.trend.direction, 'improving');
    assert.equal(e.timeLeftMs, 17 * DAY);
    assert.equal(Math.round(e.etaMs! / DAY), 6, '60 to go at 10 a day');
    assert.equal(
      describeEvaluation(e, 'signups/day'),
      '440 signups/day needs >= 500 signups/day (gap 60 signups/day); trend improving (+10/day over 3d, 4 samples); meets it in about 6d at this pace; 17d left',
    );
  });
  it('is MeetsTarget with no gap and no time to meet; a passed deadline says so', () => {
    const e = evaluate({
      value: 250,
      threshold: 300,
      direction: 'below',
      history: [],
      now: T0,
      reviewMs: DAY,
      deadline: T0 - 3 * DAY,
    });
    assert.equal(e.state, 'MeetsTarget');
    assert.equal(e.gap, 0);
    assert.equal(e.etaMs, undefined);
    assert.match(
      describeEvaluation(e, 'ms'),
      /^250 ms meets <= 300 ms; no trend yet; deadline passed 3d ago$/,
    );
  });
});

describe('objective roll-up', () => {
  it('is met only when every key result is', () => {
    assert.deepEqual(rollUp([{ state: 'MeetsTarget' }, { state: 'MeetsTarget' }]), {
      state: 'MeetsTarget',
      met: 2,
      total: 2,
    });
    assert.deepEqual(
      rollUp([{ state: 'MeetsTarget' }, { state: 'BehindTarget' }, { state: 'MeetsTarget' }]),
      {
        state: 'BehindTarget',
        met: 2,
        total: 3,
      },
    );
  });
});
