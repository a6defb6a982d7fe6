/**
 * Leader election over a real SQLite file, each replica with its own store
 * handle as separate processes would have: one leads, the other follows; a
 * stop hands the lease over; a leader starved past its lease (as SIGSTOP
 * would) loses it to another holder, stops its work, drops its fence and
 * follows again without exiting.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir, eventually } from '../../../test/helpers.js';
import { SqliteStore } from '../../store/sqlite/index.js';
import { createLogger } from '../../telemetry/log.js';
import { Metrics } from '../../telemetry/metrics.js';
import { Leadership, type StepDownReason } from './leadership.js';

const opened: SqliteStore[] = [];
const running: Leadership[] = [];
after(async () => {
  for (const l of running) await l.stop();
  for (const s of opened) await s.close().catch(() => undefined);
});

function replica(path: string, id: string, ttlMs: number) {
  const store = new SqliteStore(path);
  opened.push(store);
  const log: string[] = [];
  const metrics = new Metrics({ processMetrics: false });
  const leadership = new Leadership({
    store,
    logger: createLogger({ file: join(path, '..', `${id}.log`) }),
    metrics,
    replicaId: id,
    ttlMs,
    retryMs: 20,
    onElected: (lock) => {
      log.push(`elected ${lock.term}`);
      return Promise.resolve();
    },
    onDeposed: (reason: StepDownReason) => {
      log.push(`deposed ${reason}`);
      return Promise.resolve();
    },
  });
  running.push(leadership);
  return { store, leadership, log, metrics };
}

/** Blocks the event loop (no timer, no renewal runs), as a paused process. */
function starve(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('Leadership', () => {
  it('one replica leads, the other follows; a stop hands the lease over at once', async () => {
    const path = join(tempDir(), 'state.db');
    const a = replica(path, 'a', 10_000);
    const b = replica(path, 'b', 10_000);
    await a.leadership.start();
    await b.leadership.start();
    assert.deepEqual(a.log, ['elected 1']);
    assert.deepEqual(b.log, []);
    assert.equal(a.leadership.status().role, 'leader');
    const seen = b.leadership.status();
    assert.equal(seen.role, 'follower');
    assert.equal(seen.leader, a.leadership.replica);
    assert.equal(seen.term, 1);
    assert.equal(
      (await a.metrics.registry.getSingleMetricAsString('setpoint_leader')).trim().split('\n').pop(),
      'setpoint_leader 1',
    );

    await a.leadership.stop();
    assert.deepEqual(a.log, ['elected 1', 'deposed stopping']);
    // Released, not expired: b takes it at its next try, long before the 10 s TTL.
    await eventually(() => b.log.includes('elected 2'), 'b to lead', 2_000, 10);
    assert.equal(b.leadership.status().leader, b.leadership.replica);
  });

  it('a leader starved past its lease loses it: its work is stopped, its fence dropped, and it follows', async () => {
    const path = join(tempDir(), 'state.db');
    const a = replica(path, 'a', 300);
    await a.leadership.start();
    assert.equal(a.leadership.isLeader, true);
    const other = new SqliteStore(path);
    opened.push(other);

    starve(400);
    // Before a's renewal timer can run: another holder takes the expired lease.
    const taken = await other.acquireLease('state', 'elsewhere:1 serve z', 60_000);
    assert.ok(taken, 'the expired lease was taken');
    await eventually(() => a.log.includes('deposed lost'), 'a to step down', 5_000, 10);
    assert.equal(a.leadership.isLeader, false);
    // The fence is dropped once the work stopped: a follower's own writes (commands) go through again.
    await a.store.appendNudge({ reason: 'sync', actor: 't', at: new Date().toISOString() });
    await eventually(
      () => a.leadership.status().leader === 'elsewhere:1 serve z',
      'a to see the new leader',
      5_000,
      10,
    );
    assert.equal(a.leadership.status().role, 'follower');
  });
});
