/** Test helper: run SQL as an operator would, with psql, against a TestPostgres. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PG_BIN, type TestPostgres } from './postgres.js';

/** Runs `sql` in `database` with psql, one statement after another (stops at the first error); returns its output. */
export function psql(server: TestPostgres, sql: string, database = 'postgres'): string {
  return execFileSync(
    join(PG_BIN, 'psql'),
    [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-U',
      'postgres',
      '-d',
      database,
      '-f',
      '-',
    ],
    { encoding: 'utf8', input: sql, stdio: ['pipe', 'pipe', 'pipe'] },
  ).trim();
}
