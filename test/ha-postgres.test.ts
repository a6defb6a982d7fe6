/**
 * Serve replicas on a PostgreSQL state (one real PostgreSQL 15 for this file,
 * a fresh database per test): kill -9 of the leader at random moments hands
 * the work over without any action twice; a leader frozen past its lease
 * (SIGSTOP) acts on and writes nothing once resumed and steps down; a
 * PostgreSQL restart under a running serve makes it not ready while the
 * server is down, and it converges a hand edit afterwards by itself.
 *
 * HA_PG_FILES (default 300) and HA_PG_ROUNDS (default 6) size the kill -9 test.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { eventually, json } from './helpers.js';
import { oneLeader, startReplica, type Replica } from './ha-kit.js';
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
const ROUNDS = Number(process.env.HA_PG_ROUNDS ?? 6);
/** Counting Execs added per round: each appends its name to count.log once, when its check says it is missing. */
const EXECS = 5;
const TTL = '3s';
const TTL_MS = 3_000;

const SETTINGS = [
  'reconcile:',
  '  resync: 60s',
  '  actionsPerSecond: 2000',
  '  burst: 2000',
  '  backoff: { base: 50ms, max: 1s }',
  '',
].join('\n');

interface AuditRow {
  seq: number;
  action: string;
  detail?: { replica?: string; from?: string; reason?: string };
}

function filesDoc(dir: string, round: number): string {
  const docs: string[] = [];
  for (let i = 0; i < FILES; i++)
    docs.push(
      `kind: File\nmetadata: { name: f${i} }\nspec: { path: ${dir}/out/f${i}.txt, content: "round ${round} file ${i}\\n" }\n`,
    );
  return docs.join('---\n');
}

/**
 * Counting Execs named `prefix-<i>`: each appends "<ns time> <replica id> <name>"
 * to count.log once, when its check does not find its name there.
 */
function countingExecs(dir: string, names: readonly string[]): string {
  return names
    .map((name) =>
      [
        'kind: Exec',
        `metadata: { name: ${name} }`,
        'spec:',
        `  check: grep -q ' ${name}$' ${dir}/count.log`,
        `  apply: echo "$(date +%s%N) $SETPOINT_REPLICA_ID ${name}" >> ${dir}/count.log`,
        '',
      ].join('\n'),
    )
    .join('---\n');
}

function roundExecs(rounds: number): string[] {
  const names: string[] = [];
  for (let r = 0; r <= rounds; r++) for (let k = 0; k < EXECS; k++) names.push(`e-${r}-${k}`);
  return names;
}

function countLines(dir: string): Array<{ ns: bigint; replica: string; name: string }> {
  const path = `${dir}/count.log`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [ns, replica, name] = l.split(' ');
      return { ns: BigInt(ns), replica, name };
    });
}

function twice(dir: string): string[] {
  const names = countLines(dir).map((l) => l.name);
  return names.filter((n, i) => names.indexOf(n) !== i);
}

function converged(dir: string, round: number): boolean {
  for (let i = 0; i < FILES; i++) {
    const path = `${dir}/out/f${i}.txt`;
    if (!existsSync(path) || readFileSync(path, 'utf8') !== `round ${round} file ${i}\n`) return false;
  }
  const names = new Set(countLines(dir).map((l) => l.name));
  for (let k = 0; k < EXECS; k++) if (!names.has(`e-${round}-${k}`)) return false;
  return true;
}

describe('serve replicas on PostgreSQL', { skip }, () => {
  test(`kill -9 of the leader ${ROUNDS} times during reconciliation of ${FILES} files: a new leader within TTL + 5 s, convergence, no action twice`, async (t) => {
    const url = await server!.createDatabase();
    const p = project({ 'manifests/files.yaml': '', 'manifests/execs.yaml': '', 'count.log': '' }, SETTINGS);
    p.write({
      'manifests/files.yaml': filesDoc(p.dir, 0),
      'manifests/execs.yaml': countingExecs(p.dir, roundExecs(0)),
    });
    // The state named by --state.
    const args = ['--lease-ttl', TTL, '--state', url];
    let seq = 0;
    const spawnReplica = () => startReplica(t, p.dir, `r${seq++}`, args);
    const replicas: Replica[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await spawnReplica());

    let leader = await oneLeader(replicas);
    /** Rounds whose leader was killed before it had converged them. */
    let interrupted = 0;
    await eventually(() => converged(p.dir, 0), 'the first convergence', 120_000, 200);

    for (let round = 1; round <= ROUNDS; round++) {
      p.write({
        'manifests/files.yaml': filesDoc(p.dir, round),
        'manifests/execs.yaml': countingExecs(p.dir, roundExecs(round)),
      });
      // A random moment of the reconciliation of this round's changes.
      await new Promise((r) => setTimeout(r, Math.random() * 1_500));
      if (!converged(p.dir, round)) interrupted++;
      const killedAt = Date.now();
      leader.r.signal('SIGKILL');
      await leader.r.exited;
      const alive = replicas.filter((r) => !r.gone());
      const next = await oneLeader(alive, leader.ready.term, TTL_MS + 5_000);
      const took = Date.now() - killedAt;
      assert.ok(took <= TTL_MS + 5_000, `round ${round}: a new leader after ${took}ms`);
      assert.notEqual(next.r, leader.r);
      leader = next;
      // Three replicas again.
      replicas.splice(replicas.indexOf(replicas.find((r) => r.gone())!), 1);
      replicas.push(await spawnReplica());
      await eventually(() => converged(p.dir, round), `convergence of round ${round}`, 120_000, 200);
      assert.deepEqual(twice(p.dir), [], `round ${round}: an Exec ran twice in ${p.dir}/count.log`);
    }

    // Exactly one leader at the end too, every Exec ran exactly once, and the audit chain is whole.
    await oneLeader(
      replicas.filter((r) => !r.gone()),
      0,
    );
    assert.deepEqual(
      countLines(p.dir)
        .map((l) => l.name)
        .sort(),
      roundExecs(ROUNDS).sort(),
    );
    assert.ok(interrupted > 0, 'at least one leader was killed in the middle of its work');
    p.ok(['audit', 'verify', '--state', url]);
  });

  test('a leader frozen past its lease (SIGSTOP) acts on and writes nothing once resumed, and steps down', async (t) => {
    const url = await server!.createDatabase();
    // The state named by SETPOINT_STATE_URL.
    const env = { SETPOINT_STATE_URL: url };
    const p = project({ 'count.log': '' }, SETTINGS);
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
    const N = 300;
    const names = Array.from({ length: N }, (_, i) => `x${i}`);
    p.write({ 'manifests/execs.yaml': countingExecs(p.dir, names) });
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
