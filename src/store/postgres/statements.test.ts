/** Joining statements into one: each keeps its own parameters, renumbered after the ones before it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinStatements } from './statements.js';

describe('joinStatements', () => {
  it('makes each statement a CTE and renumbers its parameters after those of the statements before it', () => {
    const joined = joinStatements([
      { sql: 'INSERT INTO a (x, y) VALUES ($1, $2)', params: ['x', 'y'] },
      { sql: 'DELETE FROM b WHERE id = ANY($1::text[]) AND n > $2 AND m = $1', params: [['i'], 3] },
      { sql: 'UPDATE c SET v = $1', params: [10] },
    ]);
    assert.equal(
      joined.sql,
      'WITH s0 AS (INSERT INTO a (x, y) VALUES ($1, $2)),\n' +
        's1 AS (DELETE FROM b WHERE id = ANY($3::text[]) AND n > $4 AND m = $3),\n' +
        's2 AS (UPDATE c SET v = $5)\nSELECT 1',
    );
    assert.deepEqual(joined.params, ['x', 'y', ['i'], 3, 10]);
  });

  it('renumbers two-digit parameters as numbers, not digit by digit', () => {
    const params = Array.from({ length: 12 }, (_, i) => i);
    const joined = joinStatements([
      { sql: 'SELECT $1', params: [0] },
      { sql: 'INSERT INTO t SELECT $12, $1', params },
    ]);
    assert.match(joined.sql, /SELECT \$13, \$2\)/);
    assert.equal(joined.params.length, 13);
  });
});
