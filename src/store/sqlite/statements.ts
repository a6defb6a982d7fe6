/**
 * Prepared statements kept per connection, by SQL text: an agent's serve loop
 * and a fleet's polls run the same few queries thousands of times, and
 * preparing each one again cost a busy worker 7.5 % of its CPU.
 *
 * A cached statement is shared by every caller of the same SQL, so it is only
 * handed out as get/all/run: a mode set on it (`raw`, `pluck`, `expand`)
 * would leak to the next caller, and an `iterate()` still open would make
 * the next call on it throw. Those stay on `db.prepare`.
 */
import type Database from 'better-sqlite3';

export type PlainStatement = Pick<Database.Statement, 'get' | 'all' | 'run'>;

/** Distinct SQL texts kept per connection (queries built from filters vary a little). */
const MAX_STATEMENTS = 256;

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** The statement for `sql` on `db`, prepared on first use. */
export function cached(db: Database.Database, sql: string): PlainStatement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map<string, Database.Statement>()));
  let statement = cache.get(sql);
  if (!statement) {
    // Unbounded only if SQL were built from values, which it never is: a bound for safety.
    if (cache.size >= MAX_STATEMENTS) cache.clear();
    cache.set(sql, (statement = db.prepare(sql)));
  }
  return statement;
}
