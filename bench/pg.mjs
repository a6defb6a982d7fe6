// A PostgreSQL 15 for the benchmarks: $SETPOINT_BENCH_PG_URL (an empty
// database), else a throwaway server started from /usr/lib/postgresql/15/bin
// (as the postgres user when run as root) with default durability (fsync on),
// removed by stop().
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** { url, stop() } of the server to use. */
export async function benchPostgres() {
  if (process.env.SETPOINT_BENCH_PG_URL)
    return { url: process.env.SETPOINT_BENCH_PG_URL, stop: async () => {} };
  return startPostgres();
}

/** A throwaway server on a random port; { url, stop() }. */
export async function startPostgres() {
  const B = '/usr/lib/postgresql/15/bin';
  if (!existsSync(join(B, 'postgres')))
    throw new Error(`no PostgreSQL 15 at ${B}: apt-get install postgresql-15, or set SETPOINT_BENCH_PG_URL`);
  // Its own folder: the postgres user cannot enter the (private) work folder.
  const dir = mkdtempSync(join(tmpdir(), 'setpoint-bench-pg-'));
  const owner =
    process.getuid() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'])),
          gid: Number(execFileSync('id', ['-g', 'postgres'])),
        }
      : {};
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid);
  execFileSync(
    join(B, 'initdb'),
    ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'],
    { stdio: 'ignore', ...owner },
  );
  const port = 40_000 + Math.floor(Math.random() * 10_000);
  // Durable settings (fsync on): the comparison is with SQLite's WAL on a real disk.
  const proc = spawn(
    join(B, 'postgres'),
    ['-D', join(dir, 'data'), '-k', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
    { stdio: 'ignore', ...owner },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    if (spawnSync(join(B, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0) break;
    if (i > 600) throw new Error('PostgreSQL did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: async () => {
      await new Promise((r) => {
        proc.once('exit', r);
        proc.kill('SIGINT');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
