/**
 * kill -9 during apply loses no audit entry (issue 10, defect 3): each
 * change is audited in the transaction that records it, an action in flight
 * has its intent written before it acts, and the next start audits what such
 * an action may have done and marks the killed run `interrupted`.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { exited, json, sandbox, waitFor } from './helpers.js';

const N = 2000;

function manifest(out: string): string {
  const docs = [`kind: Directory\nmetadata:\n  name: out\nspec:\n  path: ${out}\n`];
  for (let i = 0; i < N; i++)
    docs.push(
      `kind: File\nmetadata:\n  name: f${i}\nspec:\n  path: ${out}/f${i}.txt\n  content: "file ${i}\\n"\ndependsOn: [Directory/out]\n`,
    );
  return docs.join('---\n');
}

interface Row {
  resourceId: string;
  result: string;
}

describe('kill -9 during apply', () => {
  test('every change the killed apply made is audited, and history shows its run interrupted after the next apply', async () => {
    const s = sandbox();
    const out = s.path('out');
    s.write({ 'm/files.yaml': manifest(out) });
    const created = () => {
      try {
        return readdirSync(out).filter((n) => /^f\d+\.txt$/.test(n));
      } catch {
        return [];
      }
    };

    const child = s.spawn(['apply', '-f', 'm', '--yes', '--parallelism', '8']);
    const done = exited(child);
    await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`apply finished before it could be killed (exit ${child.exitCode})`);
        return created().length >= 300;
      },
      'the first files to be written',
      120_000,
    );
    child.kill('SIGKILL');
    assert.equal((await done).signal, 'SIGKILL');
    const changed = created().map((n) => `File/default/${n.slice(0, -'.txt'.length)}`);
    assert.ok(changed.length < N, 'killed before the end');

    const read = <T>(sql: string): T[] => {
      const db = new Database(s.state, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    };
    // Right after the kill: each change is audited, or its intent says it was in flight (at most the parallelism).
    const audited = new Set(
      read<Row>("SELECT resource_id AS resourceId, result FROM audit WHERE action = 'apply.create'").map(
        (r) => r.resourceId,
      ),
    );
    const inFlight = new Set(
      read<{ resourceId: string }>('SELECT resource_id AS resourceId FROM action_intents').map(
        (r) => r.resourceId,
      ),
    );
    const unaccounted = changed.filter((id) => !audited.has(id) && !inFlight.has(id));
    assert.deepEqual(unaccounted, [], 'changed targets with neither an audit entry nor an intent');
    assert.ok(inFlight.size <= 9, `at most the actions in flight have only an intent (${inFlight.size})`);

    // The next apply: the killed run is interrupted, what was in flight audited as such, the rest applied.
    const again = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const entries = read<Row>(
      "SELECT resource_id AS resourceId, result FROM audit WHERE action = 'apply.create'",
    );
    const byId = new Map<string, string[]>();
    for (const e of entries) byId.set(e.resourceId, [...(byId.get(e.resourceId) ?? []), e.result]);
    for (const id of changed) {
      const results = byId.get(id) ?? [];
      assert.equal(results.length, 1, `${id}: one audit entry (${results.join(', ')})`);
      assert.match(results[0], inFlight.has(id) ? /^interrupted$/ : /^succeeded$/, id);
    }
    // An action in flight that had not written its file yet: audited interrupted, then created by the next run.
    const notWritten = [...inFlight].filter((id) => !changed.includes(id));
    assert.equal(
      entries.filter((e) => e.resourceId.startsWith('File/')).length,
      N + notWritten.length,
      'one apply.create entry per file, plus the interrupted ones of actions that had not written yet',
    );
    assert.deepEqual(read('SELECT * FROM action_intents'), []);
    assert.equal(s.run(['audit', 'verify']).code, 0);

    const history = json<{ runs: Array<{ result: string; finishedAt?: string }> }>(
      s.run(['history', '--json']),
    );
    assert.deepEqual(
      history.runs.map((r) => r.result),
      ['succeeded', 'interrupted'],
    );
  });
});
