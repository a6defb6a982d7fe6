/**
 * Building blocks of the high-availability tests (test/ha-*.test.ts):
 * several `setpoint serve` replicas of one project on one state, each a
 * real child process with its own HTTP port, and readers of their roles.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { cliSpawn, eventually, type CliOptions, type Exited } from './helpers.js';
import { project, type Project } from './serve-kit.js';

/** What /readyz answers about leadership. */
export interface Readiness {
  ready: boolean;
  role?: 'leader' | 'follower';
  replica?: string;
  leader?: string;
  term?: number;
  leaseExpiresAt?: string;
  revision?: string;
  reason?: string;
}

export interface Replica {
  name: string;
  pid: number;
  url: string;
  stderr(): string;
  exited: Promise<Exited>;
  /** Whether it has exited. */
  gone(): boolean;
  /** /readyz, or undefined when it does not answer (killed, stopped). */
  readiness(timeoutMs?: number): Promise<Readiness | undefined>;
  signal(sig: NodeJS.Signals): void;
}

const live = new Set<Replica>();
process.on('exit', () => {
  for (const r of live) if (!r.gone()) process.kill(r.pid, 'SIGKILL');
});

/**
 * Starts one `setpoint serve --listen 127.0.0.1:0` replica in `dir` and waits
 * until it prints its API address; killed (SIGKILL after SIGCONT) in an
 * `after` hook of `t`.
 */
export async function startReplica(
  t: Pick<TestContext, 'after'>,
  dir: string,
  name: string,
  args: string[] = [],
  options: CliOptions = {},
): Promise<Replica> {
  const child = cliSpawn(['serve', '--listen', '127.0.0.1:0', ...args], {
    ...options,
    cwd: dir,
    env: { SETPOINT_REPLICA_ID: name, ...options.env },
  });
  let stderr = '';
  let stdout = '';
  let gone = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<Exited>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      gone = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  const url = await eventually(
    () => {
      if (gone) throw new Error(`replica ${name} exited before it listened:\n${stderr}`);
      return /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    },
    `replica ${name} to listen`,
    60_000,
    20,
  );
  const replica: Replica = {
    name,
    pid: child.pid!,
    url,
    stderr: () => stderr,
    exited,
    gone: () => gone,
    async readiness(timeoutMs = 2_000) {
      if (gone) return undefined;
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
        return (await res.json()) as Readiness;
      } catch {
        return undefined;
      }
    },
    signal(sig) {
      if (!gone) process.kill(child.pid!, sig);
    },
  };
  live.add(replica);
  t.after(async () => {
    if (!gone) {
      process.kill(child.pid!, 'SIGCONT');
      process.kill(child.pid!, 'SIGKILL');
    }
    await exited;
    live.delete(replica);
  });
  return replica;
}

/** The replicas that say they lead now (asked in parallel; silent ones are left out). */
export async function leaders(
  replicas: readonly Replica[],
): Promise<Array<{ r: Replica; ready: Readiness }>> {
  const answers = await Promise.all(replicas.map(async (r) => ({ r, ready: await r.readiness() })));
  return answers.filter((a): a is { r: Replica; ready: Readiness } => a.ready?.role === 'leader');
}

/** Waits until exactly one of `replicas` leads, with a term above `afterTerm`; returns it. */
export async function oneLeader(
  replicas: readonly Replica[],
  afterTerm = 0,
  timeoutMs = 60_000,
): Promise<{ r: Replica; ready: Readiness }> {
  return eventually(
    async () => {
      const found = await leaders(replicas.filter((r) => !r.gone()));
      if (found.length > 1)
        throw new Error(`${found.length} leaders: ${found.map((f) => f.ready.replica).join(', ')}`);
      return found.length === 1 && (found[0].ready.term ?? 0) > afterTerm ? found[0] : undefined;
    },
    `one leader with a term above ${afterTerm}`,
    timeoutMs,
    25,
  );
}

/*
 * Counting Execs: each appends "<ns time> <replica id> <name>" to count.log
 * once, when its check does not find its name there. A name found twice in
 * count.log is an action that ran twice.
 */

/** Exec documents named `names`, counting into `dir`/count.log. */
export function countingExecs(dir: string, names: readonly string[]): string {
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

/**
 * How many counting Execs the SIGSTOP tests queue before freezing the leader
 * after its first few: it is frozen with nearly all of them still queued, and
 * the new leader runs the rest. More only makes the test slower (each Exec
 * starts shells), not stricter.
 */
export const FROZEN_EXECS = 100;

/** x0, x1, ... x(n-1). */
export function execNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `x${i}`);
}

/** One line of count.log: when, by which replica, which Exec. */
export interface CountLine {
  ns: bigint;
  replica: string;
  name: string;
}

/** The lines of `dir`/count.log. */
export function countLines(dir: string): CountLine[] {
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

/** The Exec names found more than once in count.log. */
export function twice(dir: string): string[] {
  const names = countLines(dir).map((l) => l.name);
  return names.filter((n, i) => names.indexOf(n) !== i);
}

/** Settings of the kill tests: a fast, unthrottled reconciler. */
export const FAST_SETTINGS = [
  'reconcile:',
  '  resync: 60s',
  '  actionsPerSecond: 2000',
  '  burst: 2000',
  '  backoff: { base: 50ms, max: 1s }',
  '',
].join('\n');

export interface KillRoundsOptions {
  files: number;
  rounds: number;
  /** The --state of every replica; none: the project's SQLite state. */
  state?: string;
  /** Counting Execs added per round. Defaults to 5. */
  execs?: number;
  ttlMs?: number;
}

/**
 * The kill -9 scenario of the issue: three replicas reconcile `files` Files
 * and counting Execs; each round changes every file and adds Execs, kills the
 * leader at a random moment of the work, waits for a new leader (within TTL +
 * 5 s), starts a replica again and waits for convergence, asserting no Exec
 * ran twice. Returns the project and the takeover times (ms).
 */
export async function killLeaderRounds(
  t: Pick<TestContext, 'after'>,
  options: KillRoundsOptions,
): Promise<{ project: Project; takeoversMs: number[]; interrupted: number }> {
  const { files, rounds, state } = options;
  const execs = options.execs ?? 5;
  const ttlMs = options.ttlMs ?? 3_000;
  const filesDoc = (dir: string, round: number) =>
    Array.from(
      { length: files },
      (_, i) =>
        `kind: File\nmetadata: { name: f${i} }\nspec: { path: ${dir}/out/f${i}.txt, content: "round ${round} file ${i}\\n" }\n`,
    ).join('---\n');
  const execNames = (upTo: number) =>
    Array.from({ length: (upTo + 1) * execs }, (_, i) => `e-${Math.floor(i / execs)}-${i % execs}`);
  const converged = (dir: string, round: number) => {
    for (let i = 0; i < files; i++) {
      const path = `${dir}/out/f${i}.txt`;
      if (!existsSync(path) || readFileSync(path, 'utf8') !== `round ${round} file ${i}\n`) return false;
    }
    const names = new Set(countLines(dir).map((l) => l.name));
    for (let k = 0; k < execs; k++) if (!names.has(`e-${round}-${k}`)) return false;
    return true;
  };

  const p = project(
    { 'manifests/files.yaml': '', 'manifests/execs.yaml': '', 'count.log': '' },
    FAST_SETTINGS,
  );
  const write = (round: number) =>
    p.write({
      'manifests/files.yaml': filesDoc(p.dir, round),
      'manifests/execs.yaml': countingExecs(p.dir, execNames(round)),
    });
  write(0);
  const args = ['--lease-ttl', `${ttlMs}ms`, ...(state ? ['--state', state] : [])];
  let seq = 0;
  const spawnReplica = () => startReplica(t, p.dir, `r${seq++}`, args);
  const replicas: Replica[] = [];
  for (let i = 0; i < 3; i++) replicas.push(await spawnReplica());

  let leader = await oneLeader(replicas);
  const takeoversMs: number[] = [];
  /** Rounds whose leader was killed before it had converged them. */
  let interrupted = 0;
  await eventually(() => converged(p.dir, 0), 'the first convergence', 120_000, 200);

  for (let round = 1; round <= rounds; round++) {
    write(round);
    // A random moment of the reconciliation of this round's changes.
    await new Promise((r) => setTimeout(r, Math.random() * 1_500));
    if (!converged(p.dir, round)) interrupted++;
    const killedAt = Date.now();
    leader.r.signal('SIGKILL');
    await leader.r.exited;
    const alive = replicas.filter((r) => !r.gone());
    const next = await oneLeader(alive, leader.ready.term, ttlMs + 5_000);
    const took = Date.now() - killedAt;
    takeoversMs.push(took);
    assert.ok(took <= ttlMs + 5_000, `round ${round}: a new leader after ${took}ms`);
    assert.notEqual(next.r, leader.r);
    leader = next;
    // Three replicas again.
    replicas.splice(replicas.indexOf(replicas.find((r) => r.gone())!), 1);
    replicas.push(await spawnReplica());
    await eventually(() => converged(p.dir, round), `convergence of round ${round}`, 120_000, 200);
    assert.deepEqual(twice(p.dir), [], `round ${round}: an Exec ran twice in ${p.dir}/count.log`);
  }

  // Exactly one leader at the end too, and every Exec ran exactly once.
  await oneLeader(
    replicas.filter((r) => !r.gone()),
    0,
  );
  assert.deepEqual(
    countLines(p.dir)
      .map((l) => l.name)
      .sort(),
    execNames(rounds).sort(),
  );
  assert.ok(interrupted > 0, 'at least one leader was killed in the middle of its work');
  return { project: p, takeoversMs, interrupted };
}
