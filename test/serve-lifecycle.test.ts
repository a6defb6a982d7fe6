/**
 * `setpoint serve` end to end, lifecycle: SIGTERM in the middle of a large
 * initial convergence exits 0 after finishing what is in flight; kill -9
 * loses nothing. Either way the state passes `PRAGMA integrity_check`, no
 * target is partial, and the next start converges the rest.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, startServe, type Serving } from './helpers.js';
import { project, type Project } from './serve-kit.js';

const N = 400;
/**
 * Enough files to stop in the middle of: the rate limit spreads the initial
 * convergence over at least N / 50 = 8 s however fast the machine, while the
 * signal goes out once a tenth is written (MIDWAY), about a second in.
 */
const SETTINGS = 'reconcile:\n  resync: 1h\n  actionsPerSecond: 50\n  burst: 10\n';
const MIDWAY = N / 10;

/** Distinct content per file, a few hundred bytes, so a torn write would show. */
function content(i: number): string {
  return `file ${i}\n${`${i} `.repeat(50 + (i % 50))}\nend ${i}\n`;
}

function largeProject(): Project {
  const p = project({}, SETTINGS);
  const out = join(p.out, 'many');
  const docs = [`kind: Directory\nmetadata:\n  name: many\nspec:\n  path: ${out}\n  mode: "0755"\n`];
  for (let i = 0; i < N; i++)
    docs.push(
      `kind: File\nmetadata:\n  name: f${i}\nspec:\n  path: ${out}/f${i}.txt\n  content: ${JSON.stringify(content(i))}\ndependsOn: [Directory/many]\n`,
    );
  p.write({ 'manifests/many.yaml': docs.join('---\n') });
  return p;
}

function targets(p: Project): string[] {
  try {
    return readdirSync(join(p.out, 'many'));
  } catch {
    return [];
  }
}

function written(p: Project): number {
  return targets(p).filter((n) => n.endsWith('.txt')).length;
}

/** Waits until some files are written, failing clearly if serve was done before it could be interrupted. */
async function midway(p: Project, serve: Serving): Promise<void> {
  await eventually(
    () => {
      if (serve.child.exitCode !== null) throw new Error(`serve exited early: ${serve.stderr()}`);
      const n = written(p);
      if (n >= N) throw new Error('the convergence finished before it could be interrupted');
      return n >= MIDWAY;
    },
    `the first ${MIDWAY} files`,
    120_000,
  );
}

function assertIntact(p: Project): void {
  const db = new Database(p.path('.setpoint', 'state.db'), { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  } finally {
    db.close();
  }
}

/** Every target is complete and right; returns the leftover temp files (writes cut short). */
function assertNoPartialFile(p: Project): string[] {
  const leftovers: string[] = [];
  for (const name of targets(p)) {
    const m = /^f(\d+)\.txt$/.exec(name);
    if (!m) {
      assert.match(name, /^\.f\d+\.txt\.setpoint-tmp-\d+-[0-9a-f]+$/, `unexpected file ${name}`);
      leftovers.push(name);
      continue;
    }
    assert.equal(
      readFileSync(join(p.out, 'many', name), 'utf8'),
      content(Number(m[1])),
      `${name} is partial or wrong`,
    );
  }
  return leftovers;
}

/** Resources per sync status, read from the state in this process (polled: no CLI start per look). */
async function syncCounts(p: Project): Promise<{ total: number; bySync: Record<string, number> }> {
  const records = await p.status();
  const bySync: Record<string, number> = {};
  for (const r of records) bySync[r.sync] = (bySync[r.sync] ?? 0) + 1;
  return { total: records.length, bySync };
}

/** Starts serve again and waits until every resource is in sync. */
async function convergesAfterRestart(t: Parameters<typeof startServe>[0], p: Project): Promise<void> {
  const serve = await startServe(t, p.dir);
  await eventually(
    async () => {
      const s = await syncCounts(p);
      return s.total === N + 1 && s.bySync.InSync === N + 1;
    },
    'every resource in sync after the restart',
    120_000,
    200,
  );
  assert.equal(written(p), N);
  assert.deepEqual(assertNoPartialFile(p), [], 'no temp file left behind');
  const stopped = await serve.stop();
  assert.equal(stopped.code, 0, stopped.stderr);
  assertIntact(p);
  // The CLI reads the same state: one look, at the end.
  assert.match(p.ok(['status']).stdout, new RegExp(`^${N + 1} resources: ${N + 1} InSync;`, 'm'));
}

describe('serve: lifecycle', () => {
  test(`SIGTERM in the middle of converging ${N} files: exit 0, intact state, no partial file; a restart converges the rest`, async (t) => {
    const p = largeProject();
    const serve = await startServe(t, p.dir);
    await midway(p, serve);

    const r = await serve.stop('SIGTERM');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /SIGTERM: finishing in-flight work/);
    assert.match(r.stderr, /setpoint serve stopped/);
    const done = written(p);
    assert.ok(done < N, `stopped before the end (${done} of ${N} written)`);

    assertIntact(p);
    assert.deepEqual(assertNoPartialFile(p), [], 'in-flight writes were finished, not cut short');
    const counts = await syncCounts(p);
    assert.equal(counts.bySync.Applying, undefined, 'nothing is left recorded as Applying');
    // What was written is recorded as applied (the state was persisted before exiting): the files and their folder.
    assert.equal(
      counts.bySync.InSync,
      done + 1,
      `${done} files written and the folder; recorded: ${JSON.stringify(counts)}`,
    );
    const stateLock = p.run(['apply', '--yes', '--target', 'Directory/many']);
    assert.equal(stateLock.code, 0, `the state lock was released: ${stateLock.stderr}`);

    await convergesAfterRestart(t, p);
  });

  test(`kill -9 in the middle of converging ${N} files: intact state, no partial file; a restart converges the rest`, async (t) => {
    const p = largeProject();
    const serve = await startServe(t, p.dir);
    await midway(p, serve);

    const r = await serve.stop('SIGKILL');
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(written(p) < N, 'killed before the end');

    assertIntact(p);
    assertNoPartialFile(p); // temp files of writes cut short may remain; the restart cleans them up
    await convergesAfterRestart(t, p);
  });
});
