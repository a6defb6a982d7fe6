/**
 * Deleting the state under a running serve (issue 11 #6): serve notices (the
 * state guard's inode check), reports not-ready naming the file, and stops
 * acting; after a restart on a fresh state, `audit verify` reports the chain
 * truncated against the anchor beside the state instead of "intact".
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServe, waitFor } from './helpers.js';
import { docs, fileDoc, project } from './serve-kit.js';

/** The API address serve printed. */
function urlOf(stderr: string): string {
  const m = /API on (http:\/\/\S+) /.exec(stderr);
  if (!m) throw new Error(`no API address in:\n${stderr}`);
  return m[1];
}

async function readyz(url: string): Promise<{ status: number; body: { ready: boolean; reason?: string } }> {
  const r = await fetch(`${url}/readyz`).catch((e: Error) => {
    throw new Error(`readyz ${url}: ${e.message} ${String(e.cause)}`);
  });
  return { status: r.status, body: (await r.json()) as { ready: boolean; reason?: string } };
}

test('serve sees its state deleted: not ready, naming the file; no more actions; after a restart audit verify says truncated', async (t) => {
  const names = ['a', 'b', 'c'];
  const p = project({});
  const target = (n: string) => join(p.out, `${n}.txt`);
  p.write({ 'manifests/m.yaml': docs(...names.map((n) => fileDoc(n, target(n), `${n}\n`))) });
  const state = p.path('.setpoint', 'state.db');
  const anchor = p.path('.setpoint', 'audit-head');

  const first = await startServe(t, p.dir, ['--listen', '127.0.0.1:0']);
  const url = urlOf(first.stderr());
  await waitFor(() => names.every((n) => existsSync(target(n))), 'serve to create the files');
  await waitFor(
    () =>
      existsSync(anchor) &&
      (JSON.parse(readFileSync(anchor, 'utf8')) as { head: { seq: number } }).head.seq >= 3,
    'the audit anchor to hold the three creates',
  );
  assert.equal((await readyz(url)).status, 200, first.stderr());

  for (const suffix of ['', '-wal', '-shm']) rmSync(state + suffix, { force: true });
  let seen = { status: 0, body: { ready: true } as { ready: boolean; reason?: string } };
  const deadline = Date.now() + 30_000;
  while (seen.status !== 503 && Date.now() < deadline) {
    seen = await readyz(url);
    if (seen.status !== 503) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen.status, 503, 'not ready once the state is gone');
  assert.equal(seen.body.ready, false);
  assert.match(
    seen.body.reason ?? '',
    new RegExp(`the state file ${state} was deleted while setpoint had it open`),
  );

  const anchored = (JSON.parse(readFileSync(anchor, 'utf8')) as { head: { seq: number } }).head.seq;

  // Serve stops acting: a changed target is not repaired into a state nobody will read.
  writeFileSync(target('a'), 'changed by hand\n');
  const log = p.path('.setpoint', 'setpoint.log');
  await waitFor(
    () =>
      /File\/default\/a[^\n]*SETPOINT_STATE_DELETED|SETPOINT_STATE_DELETED[^\n]*File\/default\/a/.test(
        readFileSync(log, 'utf8'),
      ),
    'serve to refuse acting on File/default/a',
  );
  assert.equal(readFileSync(target('a'), 'utf8'), 'changed by hand\n');
  await first.stop();

  // A restart starts a fresh state; the anchor beside it still knows the chain was longer.
  const second = await startServe(t, p.dir, ['--no-listen']);
  await waitFor(() => readFileSync(target('a'), 'utf8') === 'a\n', 'the restarted serve to repair a');
  await second.stop();
  const v = p.run(['audit', 'verify']);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  const m = /the audit trail: truncated: the chain ends at seq (\d+) but the anchor says (\d+) /.exec(
    v.stdout,
  );
  assert.ok(m, v.stdout);
  assert.equal(Number(m[2]), anchored);
  assert.ok(Number(m[1]) < anchored, v.stdout);
});
