/** Durations: parsing "250ms", "1h30m" or seconds, and formatting for people without "60s" or "60m". */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationSchema, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads each unit, fractions and compound forms into milliseconds', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1.5s'), 1_500);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1m30s500ms'), 90_500);
    assert.equal(parseDuration('0s'), 0);
  });

  it('reads a number as seconds', () => {
    assert.equal(parseDuration(30), 30_000);
    assert.equal(parseDuration(0.25), 250);
    assert.equal(parseDuration(0), 0);
  });

  it('refuses anything else', () => {
    for (const v of ['', '30', 'm', '5 m', '5m ', '-1s', '1w', '5m5', 'ms', '1.s', 'abc5s'])
      assert.equal(parseDuration(v), undefined, JSON.stringify(v));
    assert.equal(parseDuration(-1), undefined);
  });
});

describe('formatDuration', () => {
  it('uses milliseconds, seconds, minutes and hours as the size calls for', () => {
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(12.4), '12ms');
    assert.equal(formatDuration(999), '999ms');
    assert.equal(formatDuration(1_000), '1.00s');
    assert.equal(formatDuration(1_234), '1.23s');
    assert.equal(formatDuration(12_345), '12.3s');
    assert.equal(formatDuration(60_000), '1m0s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_000), '1h0m');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(3 * 86_400_000), '72h0m');
  });

  it('never shows a rounded unit that belongs to the next one (1000ms, 60.0s, 1m60s, 59m60s, 1h60m)', () => {
    assert.equal(formatDuration(999.6), '1.00s');
    assert.equal(formatDuration(9_999), '10.0s');
    assert.equal(formatDuration(59_999), '1m0s');
    assert.equal(formatDuration(119_500), '2m0s');
    assert.equal(formatDuration(3_599_999), '1h0m');
    assert.equal(formatDuration(7_170_000), '2h0m');
  });
});

describe('DurationSchema', () => {
  it('accepts duration strings and non-negative seconds, with a message for the rest', () => {
    assert.equal(DurationSchema.safeParse('1h30m').success, true);
    assert.equal(DurationSchema.safeParse(15).success, true);
    assert.equal(DurationSchema.safeParse(-5).success, false);
    const bad = DurationSchema.safeParse('soon');
    assert.equal(bad.error?.issues[0].message, 'a duration such as "30s", "5m" or "1h30m"');
  });
});
