/**
 * Crash safety end to end: kill -9 in the middle of applying 10,000 files.
 * Afterwards the SQLite state passes `PRAGMA integrity_check`, no target file
 * is partial (each is absent or exactly right), the next apply converges and
 * no temp file is left behind.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { exited, sandbox, waitFor } from './helpers.js';

const N = 10_000;

/** Distinct content per file, up to a few hundred bytes, so a torn write would show. */
function content(i: number): string {
  return `file ${i}\n` + `${i} `.repeat(100 + (i % 100)) + `\nend ${i}\n`;
}

function manifest(out: string): string {
  const docs = [`kind: Directory\nmetadata:\n  name: out\nspec:\n  path: ${out}\n  mode: "0755"\n`];
  for (let i = 0; i < N; i++)
    docs.push(
      `kind: File\nmetadata:\n  name: f${i}\nspec:\n  path: ${out}/f${i}.txt\n  content: ${JSON.stringify(content(i))}\n  mode: "0644"\ndependsOn: [Directory/out]\n`,
    );
  return docs.join('---\n');
}

describe('crash safety', () => {
  test('kill -9 while applying 10,000 files: intact state, no partial file, the next apply converges', async () => {
    const s = sandbox();
    const out = s.path('out');
    s.write({ 'm/files.yaml': manifest(out) });

    const child = s.spawn(['apply', '-f', 'm', '--yes', '--parallelism', '8']);
    const done = exited(child);
    const count = () => {
      try {
        return readdirSync(out).filter((n) => n.endsWith('.txt')).length;
      } catch {
        return 0;
      }
    };
    await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`apply finished before it could be killed (exit ${child.exitCode})`);
        return count() >= 200;
      },
      'the first files to be written',
      120_000,
    );
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL', 'the apply was killed, not finished');
    const written = count();
    assert.ok(written > 0, 'some files were written before the kill');

    // The state database is intact.
    const db = new Database(s.state, { fileMustExist: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }

    // Every target is absent or complete; at most the temp files of the writes in flight remain.
    const names = readdirSync(out);
    for (const name of names) {
      const m = /^f(\d+)\.txt$/.exec(name);
      if (!m) {
        assert.match(name, /^\.f\d+\.txt\.setpoint-tmp-\d+-[0-9a-f]+$/, `unexpected file ${name}`);
        continue;
      }
      assert.equal(
        readFileSync(`${out}/${name}`, 'utf8'),
        content(Number(m[1])),
        `${name} is partial or wrong`,
      );
    }

    // Apply again: converged, no temp file left.
    const again = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Apply complete\. changed: \d+ .*failed: 0, skipped: 0/);
    const after = readdirSync(out);
    assert.equal(after.filter((n) => n.endsWith('.txt')).length, N);
    assert.deepEqual(
      after.filter((n) => n.includes('.setpoint-tmp-')),
      [],
    );
    for (const i of [0, 1, 4999, N - 1]) assert.equal(readFileSync(`${out}/f${i}.txt`, 'utf8'), content(i));

    const drift = s.run(['drift', '-f', 'm']);
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);
    assert.match(
      drift.stdout,
      new RegExp(`Drift: 0 drifted, 0 missing, 0 not applied yet, ${N + 1} in sync\\.`),
    );

    // The state is intact after the recovery run too, and a third apply changes nothing.
    const db2 = new Database(s.state, { readonly: true, fileMustExist: true });
    try {
      assert.equal(db2.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db2.close();
    }
    assert.match(s.run(['apply', '-f', 'm', '--yes']).stdout, /changed: 0 /);
  });
});
