import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeWindows, evaluateWindows, type WindowVerdict } from './evaluate.js';
import type { WindowSubject } from './match.js';
import { WindowsSchema, type WindowSpec } from './schema.js';

// 2024-01-01 is a Monday. All schedules are UTC unless a test says otherwise.
const at = (iso: string) => new Date(iso);
const web: WindowSubject = { kind: 'File', namespace: 'web', labels: { tier: 'frontend' } };
const windows = (...specs: unknown[]): WindowSpec[] => WindowsSchema.parse(specs);

/** Friday 18:00 to Monday 08:00. */
const weekendFreeze = { name: 'weekend-freeze', type: 'deny', schedule: '0 18 * * 5', duration: '62h' };
/** Weekdays 09:00 to 17:00. */
const businessHours = { name: 'business-hours', type: 'allow', schedule: '0 9 * * 1-5', duration: '8h' };

function blocked(verdict: WindowVerdict): { window: string; until: string } | false {
  return verdict.blocked && { window: verdict.window, until: verdict.until.toISOString() };
}

void describe('deny windows', () => {
  const ws = windows(weekendFreeze);

  void it('block from the opening (inclusive) to the end (exclusive)', () => {
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-01-05T17:59:59.999Z'))), false);
    const until = '2024-01-08T08:00:00.000Z';
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-01-05T18:00:00Z'))), {
      window: 'weekend-freeze',
      until,
    });
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-01-08T07:59:59.999Z'))), {
      window: 'weekend-freeze',
      until,
    });
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-01-08T08:00:00Z'))), false);
  });

  void it('say which window blocks and until when', () => {
    const verdict = evaluateWindows(ws, web, at('2024-01-06T12:00:00Z'));
    assert.deepEqual(verdict, {
      blocked: true,
      window: 'weekend-freeze',
      reason: 'deny window "weekend-freeze" is open until 2024-01-08T08:00:00.000Z',
      until: at('2024-01-08T08:00:00Z'),
    });
  });

  void it('extend until over an overlapping or touching deny window', () => {
    const overlapping = windows(weekendFreeze, {
      name: 'monday-migration',
      type: 'deny',
      schedule: '0 6 * * 1',
      duration: '4h',
    });
    assert.deepEqual(blocked(evaluateWindows(overlapping, web, at('2024-01-06T12:00:00Z'))), {
      window: 'weekend-freeze',
      until: '2024-01-08T10:00:00.000Z',
    });
    const touching = windows(weekendFreeze, {
      name: 'monday-morning',
      type: 'deny',
      schedule: '0 8 * * 1',
      duration: '1h',
    });
    assert.deepEqual(blocked(evaluateWindows(touching, web, at('2024-01-06T12:00:00Z'))), {
      window: 'weekend-freeze',
      until: '2024-01-08T09:00:00.000Z',
    });
  });

  void it('do not extend until over a deny window that does not match the resource', () => {
    const ws2 = windows(weekendFreeze, {
      name: 'db-maintenance',
      type: 'deny',
      schedule: '0 6 * * 1',
      duration: '4h',
      match: { namespaces: ['db'] },
    });
    assert.deepEqual(blocked(evaluateWindows(ws2, web, at('2024-01-06T12:00:00Z'))), {
      window: 'weekend-freeze',
      until: '2024-01-08T08:00:00.000Z',
    });
  });

  void it('with a duration longer than the interval between openings, chain into one span', () => {
    // Monday, Tuesday and Wednesday at 00:00 for 36h: open from Monday 00:00 to Thursday 12:00.
    const ws2 = windows({ name: 'mid-week', type: 'deny', schedule: '0 0 * * 1-3', duration: '36h' });
    for (const now of ['2024-01-01T00:00:00Z', '2024-01-02T18:00:00Z', '2024-01-04T11:59:59.999Z'])
      assert.deepEqual(
        blocked(evaluateWindows(ws2, web, at(now))),
        { window: 'mid-week', until: '2024-01-04T12:00:00.000Z' },
        now,
      );
    assert.equal(blocked(evaluateWindows(ws2, web, at('2024-01-04T12:00:00Z'))), false);
    assert.equal(blocked(evaluateWindows(ws2, web, at('2023-12-31T23:59:59.999Z'))), false);
  });

  void it('that never close report an until about a year ahead, to be re-evaluated then', () => {
    const ws2 = windows({ name: 'always', type: 'deny', schedule: '0 0 * * *', duration: '36h' });
    const verdict = evaluateWindows(ws2, web, at('2024-01-01T12:00:00Z'));
    assert.ok(verdict.blocked);
    const days = (verdict.until.getTime() - at('2024-01-01T12:00:00Z').getTime()) / 86_400_000;
    assert.ok(days > 365 && days < 368, `until is ${days} days ahead`);
  });

  void it('work with seconds in the schedule', () => {
    const ws2 = windows({
      name: 'twice-a-minute',
      type: 'deny',
      schedule: '*/30 * * * * *',
      duration: '10s',
    });
    assert.deepEqual(blocked(evaluateWindows(ws2, web, at('2024-01-01T00:00:35Z'))), {
      window: 'twice-a-minute',
      until: '2024-01-01T00:00:40.000Z',
    });
    assert.equal(blocked(evaluateWindows(ws2, web, at('2024-01-01T00:00:40Z'))), false);
  });
});

void describe('allow windows', () => {
  const ws = windows(businessHours);

  void it('block a matching resource while none is open, until the next opening', () => {
    const verdict = evaluateWindows(ws, web, at('2024-01-06T12:00:00Z'));
    assert.deepEqual(verdict, {
      blocked: true,
      window: 'business-hours',
      reason: 'outside allow window "business-hours", which opens next at 2024-01-08T09:00:00.000Z',
      until: at('2024-01-08T09:00:00Z'),
    });
  });

  void it('let a resource through from the opening (inclusive) to the end (exclusive)', () => {
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-01-08T08:59:59.999Z'))), {
      window: 'business-hours',
      until: '2024-01-08T09:00:00.000Z',
    });
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-01-08T09:00:00Z'))), false);
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-01-08T16:59:59.999Z'))), false);
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-01-08T17:00:00Z'))), {
      window: 'business-hours',
      until: '2024-01-09T09:00:00.000Z',
    });
  });

  void it('let a resource through when any matching allow window is open', () => {
    const ws2 = windows(businessHours, {
      name: 'saturday',
      type: 'allow',
      schedule: '0 10 * * 6',
      duration: '2h',
    });
    assert.equal(blocked(evaluateWindows(ws2, web, at('2024-01-06T11:00:00Z'))), false);
  });

  void it('name the matching allow window that opens first', () => {
    const ws2 = windows(businessHours, {
      name: 'sunday',
      type: 'allow',
      schedule: '0 20 * * 0',
      duration: '1h',
    });
    const verdict = evaluateWindows(ws2, web, at('2024-01-06T12:00:00Z'));
    assert.deepEqual(verdict, {
      blocked: true,
      window: 'sunday',
      reason: 'outside all 2 matching allow windows; "sunday" opens next at 2024-01-07T20:00:00.000Z',
      until: at('2024-01-07T20:00:00Z'),
    });
  });

  void it('do not block resources they do not match', () => {
    const ws2 = windows({ ...businessHours, match: { namespaces: ['db'] } });
    assert.equal(blocked(evaluateWindows(ws2, web, at('2024-01-06T12:00:00Z'))), false);
    assert.ok(blocked(evaluateWindows(ws2, { ...web, namespace: 'db' }, at('2024-01-06T12:00:00Z'))));
  });
});

void describe('deny and allow together', () => {
  const ws = windows(businessHours, {
    name: 'monday-freeze',
    type: 'deny',
    schedule: '0 12 * * 1',
    duration: '6h',
  });

  void it('deny wins over an open allow window', () => {
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-01-08T13:00:00Z'))), {
      window: 'monday-freeze',
      // The freeze ends at 18:00, when business hours are over: next opening Tuesday 09:00.
      until: '2024-01-09T09:00:00.000Z',
    });
    const verdict = evaluateWindows(ws, web, at('2024-01-08T13:00:00Z'));
    assert.ok(verdict.blocked);
    assert.equal(verdict.reason, 'deny window "monday-freeze" is open until 2024-01-08T18:00:00.000Z');
  });

  void it('before the deny window opens, the allow window lets resources through', () => {
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-01-08T11:59:59.999Z'))), false);
  });
});

void describe('exemptions', () => {
  const ws = windows(weekendFreeze, businessHours);
  const saturday = at('2024-01-06T12:00:00Z');

  void it('critical resources are never blocked', () => {
    assert.deepEqual(evaluateWindows(ws, { ...web, priority: 'critical' }, saturday), { blocked: false });
    assert.ok(blocked(evaluateWindows(ws, { ...web, priority: 'high' }, saturday)));
  });

  void it('an override bypasses every window', () => {
    assert.deepEqual(evaluateWindows(ws, web, saturday, { override: true }), { blocked: false });
    assert.ok(blocked(evaluateWindows(ws, web, saturday, { override: false })));
  });

  void it('no windows block nothing', () => {
    assert.deepEqual(evaluateWindows([], web, saturday), { blocked: false });
  });
});

void describe('match', () => {
  const saturday = at('2024-01-06T12:00:00Z');
  const freeze = (match: unknown) => windows({ ...weekendFreeze, match });

  void it('by namespace', () => {
    assert.ok(blocked(evaluateWindows(freeze({ namespaces: ['db', 'web'] }), web, saturday)));
    assert.equal(blocked(evaluateWindows(freeze({ namespaces: ['db'] }), web, saturday)), false);
  });

  void it('by kind', () => {
    assert.ok(blocked(evaluateWindows(freeze({ kinds: ['File', 'Process'] }), web, saturday)));
    assert.equal(blocked(evaluateWindows(freeze({ kinds: ['Process'] }), web, saturday)), false);
  });

  void it('by labels: every label must be present with the same value', () => {
    const subject = { ...web, labels: { tier: 'frontend', team: 'shop' } };
    assert.ok(
      blocked(evaluateWindows(freeze({ labels: { tier: 'frontend', team: 'shop' } }), subject, saturday)),
    );
    assert.equal(blocked(evaluateWindows(freeze({ labels: { tier: 'backend' } }), subject, saturday)), false);
    assert.equal(
      blocked(evaluateWindows(freeze({ labels: { tier: 'frontend', owner: 'x' } }), subject, saturday)),
      false,
    );
    assert.equal(
      blocked(evaluateWindows(freeze({ labels: { constructor: 'x' } }), { ...web, labels: {} }, saturday)),
      false,
    );
  });

  void it('every condition must hold', () => {
    assert.ok(blocked(evaluateWindows(freeze({ namespaces: ['web'], kinds: ['File'] }), web, saturday)));
    assert.equal(
      blocked(evaluateWindows(freeze({ namespaces: ['web'], kinds: ['Process'] }), web, saturday)),
      false,
    );
  });
});

void describe('time zones', () => {
  // Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) at 02:00 on Sunday 2024-03-31.
  const berlin = (spec: object) => windows({ ...spec, timezone: 'Europe/Berlin' });

  void it('read the schedule in the zone: 18:00 Berlin is 17:00 UTC in winter', () => {
    const ws = berlin(weekendFreeze);
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-01-05T16:59:59.999Z'))), false);
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-01-05T17:00:00Z'))), {
      window: 'weekend-freeze',
      until: '2024-01-08T07:00:00.000Z',
    });
  });

  void it('count the duration in elapsed time across the DST change', () => {
    // Opens Friday 18:00 CET (17:00Z); 62 hours later is Monday 09:00 CEST (07:00Z).
    const ws = berlin(weekendFreeze);
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-03-31T12:00:00Z'))), {
      window: 'weekend-freeze',
      until: '2024-04-01T07:00:00.000Z',
    });
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-04-01T07:00:00Z'))), false);
  });

  void it('find the next opening after the DST change at the new offset', () => {
    // Saturday before the change: business hours reopen Monday 09:00 CEST, which is 07:00Z, not 08:00Z.
    const ws = berlin(businessHours);
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-03-30T12:00:00Z'))), {
      window: 'business-hours',
      until: '2024-04-01T07:00:00.000Z',
    });
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-04-01T07:00:00Z'))), false);
    // The Friday before, still CET: 08:30 local is 07:30Z, half an hour before the 09:00 opening.
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-03-29T07:30:00Z'))), {
      window: 'business-hours',
      until: '2024-03-29T08:00:00.000Z',
    });
  });

  void it('open a window scheduled in the skipped hour at the first valid time after it', () => {
    // 02:30 does not exist on 2024-03-31 in Berlin; the window opens at 03:00 CEST (01:00Z).
    const ws = berlin({ name: 'nightly', type: 'deny', schedule: '30 2 * * *', duration: '1h' });
    assert.equal(blocked(evaluateWindows(ws, web, at('2024-03-31T00:59:59.999Z'))), false);
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-03-31T01:00:00Z'))), {
      window: 'nightly',
      until: '2024-03-31T02:00:00.000Z',
    });
    // The day before, 02:30 CET is 01:30Z.
    assert.deepEqual(blocked(evaluateWindows(ws, web, at('2024-03-30T01:30:00Z'))), {
      window: 'nightly',
      until: '2024-03-30T02:30:00.000Z',
    });
  });
});

void describe('activeWindows', () => {
  void it('lists the open windows in declaration order with since and until', () => {
    const ws = windows(
      businessHours,
      weekendFreeze,
      { name: 'mid-week', type: 'deny', schedule: '0 0 * * 1-3', duration: '36h' },
      { ...weekendFreeze, name: 'berlin-freeze', timezone: 'Europe/Berlin' },
    );
    assert.deepEqual(activeWindows(ws, at('2024-01-03T10:00:00Z')), [
      {
        name: 'business-hours',
        type: 'allow',
        since: at('2024-01-03T09:00:00Z'),
        until: at('2024-01-03T17:00:00Z'),
      },
      {
        name: 'mid-week',
        type: 'deny',
        since: at('2024-01-01T00:00:00Z'),
        until: at('2024-01-04T12:00:00Z'),
      },
    ]);
    assert.deepEqual(activeWindows(ws, at('2024-01-06T10:00:00Z')), [
      {
        name: 'weekend-freeze',
        type: 'deny',
        since: at('2024-01-05T18:00:00Z'),
        until: at('2024-01-08T08:00:00Z'),
      },
      {
        name: 'berlin-freeze',
        type: 'deny',
        since: at('2024-01-05T17:00:00Z'),
        until: at('2024-01-08T07:00:00Z'),
      },
    ]);
  });

  void it('lists nothing when every window is closed', () => {
    assert.deepEqual(activeWindows(windows(businessHours, weekendFreeze), at('2024-01-08T08:30:00Z')), []);
  });
});
