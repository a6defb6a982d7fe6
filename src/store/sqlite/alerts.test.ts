/** The alerting tables (migration 5): incidents keep their acks, silences by time, SLI samples add up. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import type { AlertRecord, SilenceRecord } from '../alerts.js';
import { SqliteStore } from './index.js';

const alert = (id: string, o: Partial<AlertRecord> = {}): AlertRecord => ({
  id,
  fingerprint: `fp-${id}`,
  rule: 'DriftDetected',
  severity: 'ticket',
  state: 'firing',
  labels: { alertname: 'DriftDetected', owner: 'team-web' },
  annotations: { summary: 's' },
  activeAt: '2026-01-01T00:00:00.000Z',
  startsAt: '2026-01-01T00:00:00.000Z',
  lastEvaluatedAt: '2026-01-01T00:00:00.000Z',
  ...o,
});

describe('sqlite alert state', () => {
  it('keeps an acknowledgement when the incident is written again, and finds incidents by prefix', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    await store.putAlerts([alert('aaaa1111'), alert('bbbb2222', { startsAt: '2026-01-01T00:01:00.000Z' })]);
    await store.ackAlert('aaaa1111', {
      by: 'ada',
      at: '2026-01-01T00:05:00.000Z',
      actionable: true,
      comment: 'real',
    });
    await store.putAlerts([
      alert('aaaa1111', { state: 'resolved', resolvedAt: '2026-01-01T00:06:00.000Z', ack: undefined }),
    ]);
    const a = await store.getAlert('aaaa');
    assert.equal(a?.state, 'resolved');
    assert.deepEqual(a?.ack, {
      by: 'ada',
      at: '2026-01-01T00:05:00.000Z',
      actionable: true,
      comment: 'real',
    });
    assert.deepEqual(
      (await store.listAlerts()).map((x) => x.id),
      ['bbbb2222', 'aaaa1111'],
      'newest first',
    );
    assert.deepEqual(
      (await store.listAlerts({ states: ['firing'] })).map((x) => x.id),
      ['bbbb2222'],
    );
    assert.deepEqual(
      (await store.listAlerts({ ackedSince: '2026-01-01T00:04:00.000Z' })).map((x) => x.id),
      ['aaaa1111'],
    );
    assert.equal(await store.getAlert('zz'), undefined);
    await store.close();
  });

  it('lists the silences in force at a time', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const s = (id: string, startsAt: string, endsAt: string): SilenceRecord => ({
      id,
      matchers: [{ name: 'owner', op: '=', value: 'x' }],
      startsAt,
      endsAt,
      createdBy: 'ada',
      createdAt: startsAt,
      comment: 'c',
    });
    await store.putSilence(s('past', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z'));
    await store.putSilence(s('now', '2026-01-01T01:30:00Z', '2026-01-01T03:00:00Z'));
    await store.putSilence(s('later', '2026-01-01T05:00:00Z', '2026-01-01T06:00:00Z'));
    assert.deepEqual(
      (await store.listSilences({ activeAt: '2026-01-01T02:00:00Z' })).map((x) => x.id),
      ['now'],
    );
    assert.equal((await store.listSilences()).length, 3);
    assert.equal((await store.getSilence('no'))?.id, 'now');
    await store.close();
  });

  it('adds SLI samples of the same minute together, and forgets old ones', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    await store.addSliSamples([{ sli: 'r', minute: 10, good: 3, total: 4 }]);
    await store.addSliSamples([
      { sli: 'r', minute: 10, good: 1, total: 1 },
      { sli: 'r', minute: 11, good: 2, total: 2 },
    ]);
    assert.deepEqual(
      (await store.listSliSamples('r', 0)).map((x) => [x.minute, x.good, x.total]),
      [
        [10, 4, 5],
        [11, 2, 2],
      ],
    );
    await store.deleteSliSamples(11);
    assert.deepEqual(
      (await store.listSliSamples('r', 0)).map((x) => x.minute),
      [11],
    );
    await store.close();
  });
});
