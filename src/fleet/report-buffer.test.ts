import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportBuffer } from './report-buffer.js';
import type { ReportBatch } from './report.js';

const batch = (id: string): ReportBatch => ({
  id,
  createdAt: new Date().toISOString(),
  agentVersion: 'test',
  events: [],
  episodes: [],
  audit: [],
  dropped: 0,
});
const dir = () => join(mkdtempSync(join(tmpdir(), 'setpoint-buffer-')), 'reports');

describe('ReportBuffer', () => {
  it('keeps batches on disk, oldest first, across a restart', () => {
    const d = dir();
    const b = new ReportBuffer({ dir: d });
    b.add(batch('a'));
    b.add(batch('b'));
    const again = new ReportBuffer({ dir: d });
    again.add(batch('c'));
    assert.deepEqual(
      again.pending().map((x) => x.id),
      ['a', 'b', 'c'],
    );
    assert.equal(statSync(d).mode & 0o777, 0o700);
  });

  it('adds a batch with a waiting id once (a re-collected batch after a crash)', () => {
    const b = new ReportBuffer({ dir: dir() });
    b.add(batch('a'));
    b.add(batch('a'));
    assert.equal(b.size(), 1);
  });

  it('drops the oldest beyond its bound, and the next delivered batch carries the count', () => {
    const b = new ReportBuffer({ dir: dir(), maxBatches: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) b.add(batch(id));
    const pending = b.pending();
    assert.deepEqual(
      pending.map((x) => x.id),
      ['c', 'd', 'e'],
    );
    assert.equal(pending[0].dropped, 2);
    b.delivered('c');
    assert.equal(b.dropped(), 0);
    assert.deepEqual(
      b.pending().map((x) => [x.id, x.dropped]),
      [
        ['d', 0],
        ['e', 0],
      ],
    );
  });
});
