/**
 * Building blocks of the high-availability tests (test/ha-*.test.ts):
 * several `setpoint serve` replicas of one project on one state, each a
 * real child process with its own HTTP port, and readers of their roles.
 */
import type { TestContext } from 'node:test';
import { cliSpawn, eventually, type CliOptions, type Exited } from './helpers.js';

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
