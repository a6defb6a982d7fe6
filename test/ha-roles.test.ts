/**
 * Leader and followers: a leader frozen past its lease (SIGSTOP) acts on and
 * writes nothing once resumed, and steps down; SIGTERM hands the lease over
 * at once; a follower takes mutating API calls and the leader carries them
 * out; followers are ready and say who leads.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { eventually, json } from './helpers.js';
import {
  countingExecs,
  countLines,
  execNames,
  FROZEN_EXECS,
  oneLeader,
  startReplica,
  twice,
  type Replica,
} from './ha-kit.js';
import { fileDoc, project } from './serve-kit.js';
import { call, createToken } from './server-kit.js';

const SETTINGS = 'reconcile:\n  resync: 60s\n  actionsPerSecond: 2000\n  burst: 2000\n';

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  resourceId?: string;
  result: string;
  detail?: { replica?: string; from?: string; holder?: string; reason?: string; term?: number };
}

/** A project with one File, out/a.txt, and an empty count.log. */
function withOneFile() {
  const p = project({ 'count.log': '' }, SETTINGS);
  p.write({ 'manifests/a.yaml': fileDoc('a', p.path('out/a.txt'), 'a\n') });
  return p;
}

async function pair(t: Parameters<typeof startReplica>[0], dir: string, ttl: string) {
  const a = await startReplica(t, dir, 'a', ['--lease-ttl', ttl]);
  await oneLeader([a]);
  const leader = await eventually(async () => {
    const r = await a.readiness();
    return r?.ready && r.role === 'leader' ? { r: a, ready: r } : undefined;
  }, 'a to lead and be ready');
  const b = await startReplica(t, dir, 'b', ['--lease-ttl', ttl]);
  const follower = await eventually(async () => {
    const r = await b.readiness();
    return r?.role === 'follower' ? r : undefined;
  }, 'b to follow');
  return { a, b, leader, follower };
}

describe('serve leader and followers', () => {
  test('a follower is ready, says who leads, and the leader metrics say which replica leads', async (t) => {
    const p = withOneFile();
    const token = createToken(p, 'viewer', 'viewer');
    const { a, b, leader, follower } = await pair(t, p.dir, '5s');
    assert.equal(leader.ready.ready, true);
    assert.match(leader.ready.replica!, / serve a$/);
    assert.equal(follower.ready, true);
    assert.equal(follower.role, 'follower');
    assert.equal(follower.leader, leader.ready.replica);
    assert.equal(follower.term, leader.ready.term);
    assert.ok(Date.parse(follower.leaseExpiresAt!) > Date.now() - 1_000, 'the lease expiry as seen');

    const metricsOf = async (r: Replica) => (await call(r.url, '/metrics', { token })).text;
    const ma = await metricsOf(a);
    const mb = await metricsOf(b);
    assert.match(ma, /^setpoint_leader 1$/m);
    assert.match(mb, /^setpoint_leader 0$/m);
    assert.match(ma, /^setpoint_leader_changes_total\{change="elected"\} 1$/m);
    assert.match(mb, /^setpoint_leader_changes_total\{change="elected"\} 0$/m);
    // Renewals happen every TTL/3.
    await eventually(
      async () =>
        /^setpoint_lease_renew_duration_seconds_count\{result="renewed"\} [1-9]/m.test(await metricsOf(a)),
      'a renewal to be measured',
    );

    // `setpoint status` names the leader, its term and lease.
    const status = json<{ leader?: { holder: string; term: number; expiresAt: string } }>(
      p.ok(['status', '--json']),
    );
    assert.equal(status.leader?.holder, leader.ready.replica);
    assert.equal(status.leader?.term, leader.ready.term);
    assert.match(
      p.ok(['status']).stdout,
      new RegExp(`leader: ${leader.ready.replica} \\(term ${leader.ready.term}`),
    );
  });

  test('a leader frozen past its lease (SIGSTOP) acts on and writes nothing once resumed, and steps down', async (t) => {
    const p = withOneFile();
    const { a, b, leader } = await pair(t, p.dir, '2s');
    await eventually(() => existsSync(p.path('out/a.txt')), 'the first convergence');

    // Lots of work, and the leader frozen in the middle of it.
    const N = FROZEN_EXECS;
    p.write({ 'manifests/execs.yaml': countingExecs(p.dir, execNames(N)) });
    await eventually(() => countLines(p.dir).length >= 3, 'the leader to start acting', 60_000, 5);
    a.signal('SIGSTOP');
    const stoppedAt = BigInt(Date.now()) * 1_000_000n;
    const before = countLines(p.dir);
    const next = await oneLeader([b], leader.ready.term, 2_000 + 5_000 + 5_000);
    assert.equal(next.r, b);

    // Resumed while the new leader works: the old one has a queue full of work and must not touch it.
    const resumedAt = BigInt(Date.now()) * 1_000_000n;
    a.signal('SIGCONT');
    await eventually(async () => (await a.readiness())?.role === 'follower', 'the old leader to step down');
    await eventually(() => new Set(countLines(p.dir).map((l) => l.name)).size === N, 'every Exec to run');

    const lines = countLines(p.dir);
    assert.deepEqual(
      twice(p.dir),
      [],
      `no Exec ran twice in ${p.dir} (stopped at ${stoppedAt} with ${JSON.stringify(before, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}; resumed at ${resumedAt})`,
    );
    assert.equal(lines.length, N);
    const late = lines.filter((l) => l.replica === 'a' && l.ns > resumedAt);
    assert.deepEqual(late, [], 'the resumed old leader acted on nothing');
    assert.ok(
      lines.some((l) => l.replica === 'b'),
      'the new leader did the rest',
    );

    // It wrote nothing after the takeover: no audit entry of its replica after it.
    const audit = json<AuditRow[]>(p.ok(['audit', '--json', '-n', '100000']));
    const takeover = audit.find(
      (e) => e.action === 'lock.takeover' && e.detail?.from === leader.ready.replica,
    );
    assert.ok(takeover, 'the takeover is audited');
    assert.equal(takeover.detail?.reason, 'expired');
    const afterwards = audit.filter(
      (e) => e.seq > takeover.seq && e.detail?.replica === leader.ready.replica,
    );
    assert.deepEqual(afterwards, []);
    assert.ok(audit.some((e) => e.seq > takeover.seq && e.detail?.replica === next.ready.replica));
    assert.match(a.stderr(), /following/);
    assert.equal(a.gone(), false, 'it stepped down without exiting');
  });

  test('SIGTERM hands the lease over: a follower leads well before the lease would have expired', async (t) => {
    const p = withOneFile();
    const TTL_MS = 30_000;
    const { a, b, leader } = await pair(t, p.dir, '30s');
    const stoppedAt = Date.now();
    a.signal('SIGTERM');
    const next = await oneLeader([b], leader.ready.term, TTL_MS);
    const took = Date.now() - stoppedAt;
    assert.ok(took < TTL_MS / 2, `handed over in ${took}ms, not by expiry`);
    assert.equal((await a.exited).code, 0);
    // Released, not taken over: no takeover in the audit.
    const audit = json<AuditRow[]>(p.ok(['audit', '--json', '--action', 'lock.takeover']));
    assert.deepEqual(audit, []);
    assert.equal(next.ready.term, leader.ready.term! + 1);
  });

  test('a mutating API call to a follower gets its result and the leader carries it out', async (t) => {
    const p = project({ 'count.log': '' }, SETTINGS);
    p.write({
      'manifests/a.yaml': fileDoc('gated', p.path('out/gated.txt'), 'gated\n', { remediation: 'approve' }),
    });
    const token = createToken(p, 'alice', 'approver');
    const { b, leader } = await pair(t, p.dir, '5s');
    const pending = await eventually(
      async () => (await p.approvals()).find((x) => x.state === 'pending'),
      'a proposal',
    );

    const answer = await call<{ id: string; state: string; decidedBy: string }>(
      b.url,
      `/api/v1/approvals/${pending.id}/approve`,
      { token, body: { note: 'via a follower' } },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.state, 'approved');
    assert.equal(answer.body.decidedBy, 'alice');

    // The leader applies it.
    await eventually(() => existsSync(p.path('out/gated.txt')), 'the leader to apply the approved action');
    assert.equal(readFileSync(p.path('out/gated.txt'), 'utf8'), 'gated\n');
    const audit = json<AuditRow[]>(p.ok(['audit', '--json', '--resource', 'File/default/gated']));
    const applied = audit.find((e) => e.action === 'serve.create' && e.result === 'succeeded');
    assert.equal(applied?.detail?.replica, leader.ready.replica, 'the leader acted');
    assert.ok(audit.some((e) => e.action === 'approval.approve' && e.actor === 'alice'));
  });
});
