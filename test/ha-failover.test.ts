/**
 * Several serve replicas on one state: exactly one leads; kill -9 of the
 * leader at random moments while it reconciles many files and counting Execs
 * hands the work to another replica, which converges everything without any
 * action running twice.
 *
 * HA_FILES (default 1000) and HA_ROUNDS (default 10; the full run is HA_ROUNDS=20, and
 * `npm run bench:failover` measures 20 trials) size it: one round
 * (change, kill, takeover, convergence, a new replica) takes about 3 s with
 * 1,000 files on a 2-core machine, about a minute for the file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { eventually } from './helpers.js';
import { oneLeader, startReplica, type Replica } from './ha-kit.js';
import { project } from './serve-kit.js';

const FILES = Number(process.env.HA_FILES ?? 1000);
const ROUNDS = Number(process.env.HA_ROUNDS ?? 10);
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

function filesDoc(dir: string, round: number): string {
  const docs: string[] = [];
  for (let i = 0; i < FILES; i++)
    docs.push(
      `kind: File\nmetadata: { name: f${i} }\nspec: { path: ${dir}/out/f${i}.txt, content: "round ${round} file ${i}\\n" }\n`,
    );
  return docs.join('---\n');
}

function execsDoc(dir: string, rounds: number): string {
  const docs: string[] = [];
  for (let r = 0; r <= rounds; r++)
    for (let k = 0; k < EXECS; k++) {
      const name = `e-${r}-${k}`;
      docs.push(
        [
          'kind: Exec',
          `metadata: { name: ${name} }`,
          'spec:',
          `  check: grep -qx ${name} ${dir}/count.log`,
          `  apply: echo ${name} >> ${dir}/count.log`,
          '',
        ].join('\n'),
      );
    }
  return docs.join('---\n');
}

function converged(dir: string, round: number): boolean {
  for (let i = 0; i < FILES; i++) {
    const path = `${dir}/out/f${i}.txt`;
    if (!existsSync(path) || readFileSync(path, 'utf8') !== `round ${round} file ${i}\n`) return false;
  }
  const lines = countLines(dir);
  for (let k = 0; k < EXECS; k++) if (!lines.includes(`e-${round}-${k}`)) return false;
  return true;
}

function countLines(dir: string): string[] {
  const path = `${dir}/count.log`;
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

describe('serve replicas fail over', () => {
  test(`kill -9 of the leader ${ROUNDS} times during reconciliation of ${FILES} files: a new leader within TTL + 5 s, convergence, no action twice`, async (t) => {
    const p = project({ 'manifests/files.yaml': '', 'manifests/execs.yaml': '', 'count.log': '' }, SETTINGS);
    p.write({ 'manifests/files.yaml': filesDoc(p.dir, 0), 'manifests/execs.yaml': execsDoc(p.dir, 0) });
    const args = ['--lease-ttl', TTL];
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
        'manifests/execs.yaml': execsDoc(p.dir, round),
      });
      // A random moment of the reconciliation of this round's changes.
      await new Promise((r) => setTimeout(r, Math.random() * 1_500));
      if (!converged(p.dir, round)) interrupted++;
      const killedAt = Date.now();
      leader.r.signal('SIGKILL');
      await leader.r.exited;
      const alive = replicas.filter((r) => !r.gone());
      const next = await oneLeader(alive, leader.ready.term, TTL_MS + 5_000);
      assert.ok(
        Date.now() - killedAt <= TTL_MS + 5_000,
        `round ${round}: a new leader after ${Date.now() - killedAt}ms`,
      );
      assert.notEqual(next.r, leader.r);
      leader = next;
      // Three replicas again.
      replicas.splice(replicas.indexOf(replicas.find((r) => r.gone())!), 1);
      replicas.push(await spawnReplica());
      await eventually(() => converged(p.dir, round), `convergence of round ${round}`, 120_000, 200);
      const lines = countLines(p.dir);
      assert.equal(
        new Set(lines).size,
        lines.length,
        `round ${round}: an Exec ran twice:\n${lines.join('\n')}`,
      );
    }

    // Exactly one leader at the end too, and every Exec ran exactly once.
    await oneLeader(
      replicas.filter((r) => !r.gone()),
      0,
    );
    const lines = countLines(p.dir).sort();
    const expected: string[] = [];
    for (let r = 0; r <= ROUNDS; r++) for (let k = 0; k < EXECS; k++) expected.push(`e-${r}-${k}`);
    assert.deepEqual(lines, expected.sort());
    assert.ok(interrupted > 0, 'at least one leader was killed in the middle of its work');
  });
});
