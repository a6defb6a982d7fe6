/**
 * The state guard on a real SQLite file: deleting or replacing the file under
 * an open store is seen (probe, listener), and from then on the store refuses
 * writes and actions instead of writing into a file nobody will read again.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir, waitFor } from '../../test/helpers.js';
import { StateGuard, StateProblemError } from './guard.js';
import { SqliteStore } from './sqlite/index.js';
import type { StoreProblem } from './types.js';

const opened: SqliteStore[] = [];
after(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
});

function open(): { store: SqliteStore; path: string } {
  const path = join(tempDir(), 'state.db');
  const store = new SqliteStore(path);
  opened.push(store);
  return { store, path };
}

const entry = [{ time: new Date().toISOString(), actor: 't', action: 'x', result: 'ok' }];

describe('StateGuard', () => {
  it('sees the state file deleted: not healthy, listeners told, writes and actions refused', async () => {
    const { store, path } = open();
    await store.appendAudit(entry);
    assert.equal(store.problem(), undefined);
    await store.assertCanAct();
    const seen: StoreProblem[] = [];
    store.onProblem((p) => seen.push(p));

    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    await waitFor(() => seen.length === 1, 'the watch to see the deletion', 10_000);
    assert.equal(seen[0].code, 'SETPOINT_STATE_DELETED');
    assert.match(
      seen[0].message,
      new RegExp(`the state file ${path} was deleted while setpoint had it open`),
    );
    assert.equal(store.problem()?.code, 'SETPOINT_STATE_DELETED');
    await assert.rejects(
      store.appendAudit(entry),
      (e) => e instanceof StateProblemError && e.code === 'SETPOINT_STATE_DELETED',
    );
    await assert.rejects(store.assertCanAct(), StateProblemError);
  });

  it('sees another file put in its place (restored from a copy): replaced', async () => {
    const { store, path } = open();
    const other = join(tempDir(), 'copy.db');
    writeFileSync(other, '');
    renameSync(other, path);
    assert.equal(store.problem()?.code, 'SETPOINT_STATE_REPLACED');
    await assert.rejects(
      store.putRun({
        id: 'r',
        command: 'apply',
        actor: 't',
        startedAt: 'now',
        result: 'running',
        summary: {},
      }),
      /was replaced by another file/,
    );
  });
});

describe('StateGuard watching (no periodic check within the test)', () => {
  const HOUR = 3_600_000;
  const guards: StateGuard[] = [];
  after(() => {
    for (const g of guards) g.close();
  });

  function watched(): { guard: StateGuard; path: string; seen: StoreProblem[] } {
    const path = join(tempDir(), 'state.db');
    writeFileSync(path, 'x');
    // Fallback and poll an hour away: only the watches can tell the listener within the test.
    const guard = new StateGuard(path, { fallbackMs: HOUR, pollMs: HOUR });
    guards.push(guard);
    const seen: StoreProblem[] = [];
    guard.onProblem((p) => seen.push(p));
    return { guard, path, seen };
  }

  it('tells the listener at once when the file is deleted', async () => {
    const { path, seen } = watched();
    rmSync(path);
    await waitFor(() => seen.length === 1, 'the listener told of the deletion', 30_000);
    assert.equal(seen[0].code, 'SETPOINT_STATE_DELETED');
  });

  it('tells the listener at once when another file is renamed over it', async () => {
    const { path, seen } = watched();
    const other = join(dirname(path), 'restored.db');
    writeFileSync(other, 'y');
    renameSync(other, path);
    await waitFor(() => seen.length === 1, 'the listener told of the replacement', 30_000);
    assert.equal(seen[0].code, 'SETPOINT_STATE_REPLACED');
  });

  it('tells the listener when its folder is moved away', async () => {
    const { path, seen } = watched();
    renameSync(dirname(path), `${dirname(path)}-moved`);
    await waitFor(() => seen.length === 1, 'the listener told of the move', 30_000);
    assert.equal(seen[0].code, 'SETPOINT_STATE_DELETED');
  });

  it('tells a listener that left nothing', () => {
    const path = join(tempDir(), 'state.db');
    writeFileSync(path, 'x');
    const guard = new StateGuard(path, { fallbackMs: HOUR, pollMs: HOUR });
    guards.push(guard);
    const seen: StoreProblem[] = [];
    const stop = guard.onProblem((p) => seen.push(p));
    stop();
    rmSync(path);
    assert.equal(guard.problem()?.code, 'SETPOINT_STATE_DELETED');
    assert.equal(seen.length, 0);
  });
});
