import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issuesToProblems } from '../manifest/index.js';
import { WindowSchema, WindowsSchema } from './schema.js';

const weekendFreeze = {
  name: 'weekend-freeze',
  type: 'deny',
  schedule: '0 18 * * 5',
  duration: '62h',
  timezone: 'Europe/Berlin',
  match: { namespaces: ['web'], kinds: ['File', 'Process'], labels: { tier: 'critical' } },
};

/** The problems of one invalid window, as settings diagnostics would show them. */
function problems(window: Record<string, unknown>): Array<{ field: string; summary: string }> {
  const parsed = WindowSchema.safeParse(window, { reportInput: true });
  if (parsed.success) assert.fail('expected the window to be rejected');
  return issuesToProblems(parsed.error.issues).map((p) => ({ field: p.path.join('.'), summary: p.summary }));
}

void describe('WindowSchema', () => {
  void it('accepts the documented example', () => {
    assert.deepEqual(WindowSchema.parse(weekendFreeze), weekendFreeze);
  });

  void it('accepts 6 fields with seconds, nicknames, compound durations and seconds as a number', () => {
    for (const schedule of ['*/30 0 18 * * 5', '@daily', '0 9 * * MON-FRI'])
      assert.equal(WindowSchema.safeParse({ ...weekendFreeze, schedule }).success, true, schedule);
    for (const duration of ['30m', '1h30m', '2d', 90])
      assert.equal(WindowSchema.safeParse({ ...weekendFreeze, duration }).success, true, String(duration));
  });

  void it('rejects a cron expression with the wrong number of fields, naming what was expected', () => {
    for (const schedule of ['0 18 * *', '0 0 18 * * 5 2024', '']) {
      const [p] = problems({ ...weekendFreeze, schedule });
      assert.equal(p.field, 'schedule');
      assert.match(p.summary, /expected a cron expression of 5 fields .* such as "0 18 \* \* 5"/);
    }
  });

  void it('rejects a cron expression with a bad field, keeping the reason', () => {
    assert.deepEqual(problems({ ...weekendFreeze, schedule: '61 18 * * 5' }), [
      {
        field: 'schedule',
        summary:
          'invalid cron expression (invalid value for minute: 61); expected a cron expression such as "0 18 * * 5"',
      },
    ]);
  });

  void it('rejects a cron expression that matches no date', () => {
    const [p] = problems({ ...weekendFreeze, schedule: '0 0 30 2 *' });
    assert.match(p.summary, /"0 0 30 2 \*" matches no date/);
  });

  void it('rejects an unknown time zone', () => {
    assert.deepEqual(problems({ ...weekendFreeze, timezone: 'Europe/Atlantis' }), [
      {
        field: 'timezone',
        summary:
          'unknown time zone "Europe/Atlantis"; expected an IANA time zone such as "Europe/Berlin" or "UTC"',
      },
    ]);
  });

  void it('rejects a duration that does not parse or is zero', () => {
    for (const duration of ['forever', '62', '0s', 0, -5, '1h 30m']) {
      const [p] = problems({ ...weekendFreeze, duration });
      assert.equal(p.field, 'duration', String(duration));
      assert.match(p.summary, /expected a duration longer than zero such as "30m"/);
    }
  });

  void it('rejects unknown fields, in the window and in match', () => {
    assert.deepEqual(problems({ ...weekendFreeze, zone: 'UTC' }), [
      { field: 'zone', summary: 'unknown field "zone"' },
    ]);
    assert.deepEqual(problems({ ...weekendFreeze, match: { namespace: 'web' } }), [
      { field: 'match.namespace', summary: 'unknown field "namespace"' },
    ]);
  });

  void it('rejects a missing schedule, a bad type and an empty match list', () => {
    const { schedule: _, ...noSchedule } = weekendFreeze;
    assert.deepEqual(
      problems({ ...noSchedule, type: 'block', match: { kinds: [] } }).map((p) => p.field),
      ['type', 'schedule', 'match.kinds'],
    );
  });
});

void describe('WindowsSchema', () => {
  void it('rejects duplicate names at the second one', () => {
    const parsed = WindowsSchema.safeParse([weekendFreeze, { ...weekendFreeze, type: 'allow' }]);
    if (parsed.success) assert.fail('expected duplicate names to be rejected');
    const [p] = issuesToProblems(parsed.error.issues);
    assert.deepEqual(p.path, [1, 'name']);
    assert.equal(p.summary, 'duplicate window name "weekend-freeze"');
  });
});
