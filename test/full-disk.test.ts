/**
 * A full state disk (issue 11, #1): state on a 1 MB tmpfs, 400 new Files.
 * The apply stops acting as soon as it cannot record, ends by itself (a
 * deadline turns a hang into a failure), names the store and the cause, and
 * leaves no change unaudited: every changed target has an audit entry or an
 * intent (at most the actions in flight), and once space is back the next
 * apply audits those as interrupted (and marks the run interrupted if its
 * end could not be recorded either).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { cli, cliSpawn, exited, json, sandbox } from './helpers.js';

const N = 400;
const PARALLELISM = 8;
const s = sandbox('setpoint-full-disk-');
const disk = s.path('state-disk');
const state = `${disk}/state.db`;
const out = s.path('out');

function manifest(): string {
  const docs: string[] = [];
  for (let i = 0; i < N; i++)
    docs.push(
      `kind: File\nmetadata:\n  name: f${i}\nspec:\n  path: ${out}/f${i}.txt\n  content: "file ${i} ${'x'.repeat(200)}\\n"\n`,
    );
  return docs.join('---\n');
}

describe('a full state disk', () => {
  before(() => {
    mkdirSync(disk, { recursive: true });
    mkdirSync(out, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
  });
  after(() => {
    execFileSync('umount', ['-l', disk]);
  });

  test('apply stops, names the store and the cause, and no change is left unaudited', async () => {
    s.write({ 'm/files.yaml': manifest() });
    const child = cliSpawn(
      ['apply', '-f', 'm', '--yes', '--parallelism', String(PARALLELISM), '--state', state],
      {
        cwd: s.dir,
      },
    );
    const done = exited(child);
    // A hang fails the test instead of hanging CI.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const r = await done.finally(() => clearTimeout(deadline));
    assert.equal(r.signal, null, `apply hung and was killed:\n${r.stderr.slice(-2000)}`);
    assert.equal(r.code, 1, r.stdout.slice(-1000) + r.stderr);
    assert.match(r.stderr, new RegExp(`error: state store ${state}: disk full\\n  hint: free space`));

    const changed = readdirSync(out).map((n) => `File/default/${n.slice(0, -'.txt'.length)}`);
    assert.ok(changed.length < N, `it stopped acting (${changed.length} of ${N} changed)`);
    const read = <T>(sql: string): T[] => {
      const db = new Database(state, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    };
    const ids = (rows: Array<{ id: string }>) => new Set(rows.map((x) => x.id));
    const audited = ids(read("SELECT resource_id AS id FROM audit WHERE action = 'apply.create'"));
    const inFlight = ids(read('SELECT resource_id AS id FROM action_intents'));
    assert.deepEqual(
      changed.filter((id) => !audited.has(id) && !inFlight.has(id)),
      [],
      'changed targets with neither an audit entry nor an intent',
    );
    assert.ok(inFlight.size <= PARALLELISM, `only actions in flight lack an entry (${inFlight.size})`);

    // Space comes back: the next apply audits what was in flight, marks the run interrupted and converges.
    execFileSync('mount', ['-o', 'remount,size=16m', disk]);
    const again = cli(['apply', '-f', 'm', '--yes', '--state', state], { cwd: s.dir, timeoutMs: 90_000 });
    assert.equal(again.code, 0, again.stdout.slice(-1000) + again.stderr);
    const entries = read<{ id: string; result: string }>(
      "SELECT resource_id AS id, result FROM audit WHERE action = 'apply.create'",
    );
    for (const id of changed) {
      const mine = entries.filter((e) => e.id === id).map((e) => e.result);
      assert.deepEqual(mine, [inFlight.has(id) ? 'interrupted' : 'succeeded'], id);
    }
    assert.equal(readdirSync(out).length, N);
    const history = json<{ runs: Array<{ result: string }> }>(
      cli(['history', '--json', '--state', state], { cwd: s.dir }),
    );
    // The stopped run is `failed` when its end could still be recorded, else `interrupted` (by the next start).
    assert.equal(history.runs.length, 2);
    assert.equal(history.runs[0].result, 'succeeded');
    assert.match(history.runs[1].result, /^(failed|interrupted)$/);
  });
});
