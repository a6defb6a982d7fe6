/**
 * Several data-modifying statements sent as one (each a CTE of a WITH that
 * selects nothing), so a write transaction pays one round trip for them
 * instead of one each. PostgreSQL runs every data-modifying CTE exactly once,
 * to completion, whether or not it is read; they all see one snapshot, so
 * the statements joined must not touch the same row (the caller keeps those
 * apart) and must not read what another one writes.
 */
import type pg from 'pg';

/** A statement with $1…$n parameters of its own. */
export interface Statement {
  sql: string;
  params: unknown[];
}

export class Statements {
  private parts: Statement[] = [];

  add(statement: Statement): void {
    this.parts.push(statement);
  }

  /** Sends what was added (nothing when empty) and starts over. */
  async run(c: pg.PoolClient): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    if (parts.length === 0) return;
    if (parts.length === 1) {
      await c.query(parts[0].sql, parts[0].params);
      return;
    }
    const { sql, params } = joinStatements(parts);
    await c.query(sql, params);
  }
}

/** One statement doing what `parts` do, their parameters renumbered after one another. */
export function joinStatements(parts: readonly Statement[]): Statement {
  const params: unknown[] = [];
  const ctes = parts.map((part, i) => {
    const offset = params.length;
    params.push(...part.params);
    // Our statements hold no `$` but their parameters' (no dollar quoting, no `$` in literals).
    const sql = part.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    return `s${i} AS (${sql})`;
  });
  return { sql: `WITH ${ctes.join(',\n')}\nSELECT 1`, params };
}
