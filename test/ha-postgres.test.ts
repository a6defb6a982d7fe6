/**
 * Serve replicas on a PostgreSQL state (one real PostgreSQL 15 for this file,
 * a fresh database per test): kill -9 of the leader at random moments hands
 * the work over without any action twice; a leader frozen past its lease
 * (SIGSTOP) acts on and writes nothing once resumed and steps down; a
 * PostgreSQL restart under a running serve makes it not ready while the
 * server is down, and it converges a hand edit afterwards by itself.
 *
 * HA_PG_FILES (default 300) and HA_PG_ROUNDS (default 4) size the kill -9 test.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { eventually, json } from './helpers.js';
import {
  countingExecs,
  countLines,
  execNames,
  FAST_SETTINGS,
  FROZEN_EXECS,
  killLeaderRounds,
  oneLeader,
  startReplica,
  twice,
} from './ha-kit.js';
import { fileDoc, project } from './serve-kit.js';
import { postgresUnavailable, TestPostgres } from './support/postgres.js';

const skip = postgresUnavailable;
let server: TestPostgres | undefined;
before(async () => {
  if (!skip) server = await TestPostgres.start();
});
after(async () => {
  await server?.stop();
});

const FILES = Number(process.env.HA_PG_FILES ?? 300);
const ROUNDS = Number(process.env.HA_PG_ROUNDS ?? 4);

interface AuditRow {
  seq: number;
  action: string;
  detail?: { replica?: string; from?: string; reason?: string };
}

describe('serve replicas on PostgreSQL', { skip }, () => {
  test(`kill -9 of the leader ${ROUNDS} times during reconciliation of ${FILES} files: a new leader within TTL + 5 s, convergence, no action twice`, async (t) => {
    const url = await server!.createDatabase();
    // The state named by --state.
    const { project: p, takeoversMs } = await killLeaderRounds(t, {
      files: FILES,
      rounds: ROUNDS,
      state: url,
    });
    t.diagnostic(`takeovers (ms): ${takeoversMs.join(', ')}`);
    // The audit chain is whole.
    p.ok(['audit', 'verify', '--state', url]);
  });

  test('a leader frozen past its lease (SIGSTOP) acts on and writes nothing once resumed, and steps down', async (t) => {
    const url = await server!.createDatabase();
    // The state named by SETPOINT_STATE_URL.
    const env = { SETPOINT_STATE_URL: url };
    const p = project({ 'count.log': '' }, FAST_SETTINGS);
    p.write({ 'manifests/a.yaml': fileDoc('a', p.path('out/a.txt'), 'a\n') });
    const a = await startReplica(t, p.dir, 'a', ['--lease-ttl', '2s'], { env });
    const leader = await eventually(async () => {
      const r = await a.readiness();
      return r?.ready && r.role === 'leader' ? { r: a, ready: r } : undefined;
    }, 'a to lead and be ready');
    const b = await startReplica(t, p.dir, 'b', ['--lease-ttl', '2s'], { env });
    await eventually(async () => (await b.readiness())?.role === 'follower', 'b to follow');
    await eventually(() => existsSync(p.path('out/a.txt')), 'the first convergence');

    // Lots of work, and the leader frozen in the middle of it.
    const N = FROZEN_EXECS;
    p.write({ 'manifests/execs.yaml': countingExecs(p.dir, execNames(N)) });
    await eventually(() => countLines(p.dir).length >= 3, 'the leader to start acting', 60_000, 5);
    a.signal('SIGSTOP');
    const next = await oneLeader([b], leader.ready.term, 2_000 + 5_000 + 5_000);
    assert.equal(next.r, b);

    // Resumed while the new leader works: the old one has a queue full of work and must not touch it.
    const resumedAt = BigInt(Date.now()) * 1_000_000n;
    a.signal('SIGCONT');
    await eventually(async () => (await a.readiness())?.role === 'follower', 'the old leader to step down');
    await eventually(() => new Set(countLines(p.dir).map((l) => l.name)).size === N, 'every Exec to run');

    const lines = countLines(p.dir);
    assert.deepEqual(twice(p.dir), [], `no Exec ran twice in ${p.dir}/count.log`);
    assert.equal(lines.length, N);
    assert.deepEqual(
      lines.filter((l) => l.replica === 'a' && l.ns > resumedAt),
      [],
      'the resumed old leader acted on nothing',
    );
    assert.ok(
      lines.some((l) => l.replica === 'b'),
      'the new leader did the rest',
    );

    // It wrote nothing after the takeover: no audit entry of its replica after it.
    const audit = json<AuditRow[]>(p.ok(['audit', '--json', '-n', '100000'], { env }));
    const takeover = audit.find(
      (e) => e.action === 'lock.takeover' && e.detail?.from === leader.ready.replica,
    );
    assert.ok(takeover, 'the takeover is audited');
    assert.equal(takeover.detail?.reason, 'expired');
    assert.deepEqual(
      audit.filter((e) => e.seq > takeover.seq && e.detail?.replica === leader.ready.replica),
      [],
    );
    assert.ok(audit.some((e) => e.seq > takeover.seq && e.detail?.replica === next.ready.replica));
    assert.match(a.stderr(), /following/);
    assert.equal(a.gone(), false, 'it stepped down without exiting');
  });

  // Stops the shared server: runs last in this file.
  test('PostgreSQL stopped under a running serve: not ready while it is down, then a hand edit is converged by itself', async (t) => {
    const url = await server!.createDatabase();
    // A short resync, so the hand edit is found even if its watch event came while the state was down.
    const p = project({}, 'reconcile:\n  resync: 2s\n  backoff: { base: 50ms, max: 2s }\n');
    const target = p.path('out/a.txt');
    p.write({ 'manifests/a.yaml': fileDoc('a', target, 'managed\n') });
    const s = await startReplica(t, p.dir, 'solo', ['--lease-ttl', '3s', '--state', url], {
      env: { SETPOINT_STATE_RETRY_MS: '1000' },
    });
    await eventually(async () => (await s.readiness())?.ready === true, 'serve to be ready');
    await eventually(() => existsSync(target) && readFileSync(target, 'utf8') === 'managed\n', 'convergence');

    await server!.stopServer();
    let restarted = false;
    try {
      const down = await eventually(
        async () => {
          if (s.gone()) throw new Error(`serve exited while PostgreSQL was down:\n${s.stderr()}`);
          const r = await s.readiness();
          return r && !r.ready ? r : undefined;
        },
        'serve to say it is not ready',
        30_000,
        100,
      );
      assert.equal(down.ready, false);
      assert.match(
        down.reason ?? '',
        /lease is not renewed|state .*(unavailable|cannot be reached)/i,
        JSON.stringify(down),
      );
      assert.equal(down.role, 'leader', 'it keeps its term: nobody else could take the lease');
      // A hand edit while the state is down.
      writeFileSync(target, 'hand edit\n');
      assert.equal(s.gone(), false, `serve exited while PostgreSQL was down:\n${s.stderr()}`);
      assert.ok(await s.readiness(), 'serve still answers /readyz');
      await server!.startServer();
      restarted = true;
    } finally {
      if (!restarted) await server!.startServer();
    }

    await eventually(
      async () => (await s.readiness())?.ready === true,
      'serve to be ready again after the restart',
      60_000,
      100,
    );
    await eventually(
      () => readFileSync(target, 'utf8') === 'managed\n',
      'the hand edit to be converged',
      60_000,
      100,
    );
    assert.equal(s.gone(), false);
  });
});
