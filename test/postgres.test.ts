/**
 * The PostgreSQL store end to end, on a real PostgreSQL 15 (one server for
 * this file, a fresh database per test): two processes appending to the
 * audit chain at once keep one chain; a server restart under an open store
 * gives a clear error while it is down and loses nothing; the real CLI
 * applies with `--state postgres://…` (and SETPOINT_STATE_URL), and two
 * applies at once are serialised by the state lease.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PostgresStore } from '../src/store/postgres/index.js';
import type { SetpointError } from '../src/errors.js';
import { cli, cliSpawn, exited, json, ROOT, tempDir, waitFor, writeFiles } from './helpers.js';
import { postgresUnavailable, TestPostgres } from './support/postgres.js';

const skip = postgresUnavailable;
let server: TestPostgres | undefined;
before(async () => {
  if (!skip) server = await TestPostgres.start();
});
after(async () => {
  await server?.stop();
});

/** Runs a module with tsx in a child process; resolves with its exit code and output. */
function runScript(source: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const file = join(tempDir(), 'script.mts');
  writeFileSync(file, source);
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('PostgreSQL store: several processes', { skip }, () => {
  test('two processes appending audit entries at once keep one unbroken chain', async () => {
    const url = await server!.createDatabase();
    // Create the schema first, so the two writers race on the chain, not on the migrations.
    await (await PostgresStore.open(url)).close();
    const writer = `
      import { PostgresStore } from ${JSON.stringify(join(ROOT, 'src/store/postgres/index.ts'))};
      const [url, who] = process.argv.slice(2);
      const store = await PostgresStore.open(url);
      for (let i = 0; i < 100; i++)
        await store.appendAudit([
          { time: new Date().toISOString(), actor: who, action: 'test.append', result: 'ok', detail: { i } },
          { time: new Date().toISOString(), actor: who, action: 'test.append', result: 'ok', detail: { i, second: true } },
        ]);
      await store.close();
    `;
    const [a, b] = await Promise.all([runScript(writer, [url, 'a']), runScript(writer, [url, 'b'])]);
    assert.equal(a.code, 0, a.out);
    assert.equal(b.code, 0, b.out);
    const store = await PostgresStore.open(url);
    try {
      const v = await store.verifyAudit();
      assert.equal(v.ok, true, JSON.stringify(v.firstBad));
      assert.equal(v.entries, 400);
      const entries = await store.listAudit({ limit: 1000 });
      assert.deepEqual(
        entries.map((e) => e.seq),
        entries.map((_, i) => i + 1),
      );
      // Both writers' batches are whole: each first entry is followed by its own second.
      for (let i = 0; i < entries.length; i += 2) {
        assert.equal(entries[i].actor, entries[i + 1].actor);
        assert.deepEqual(entries[i + 1].detail, { ...entries[i].detail, second: true });
      }
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL store: a server restart', { skip }, () => {
  test('a clear error naming the server while it is down, and every committed write afterwards', async () => {
    const url = await server!.createDatabase();
    const store = await PostgresStore.open(url, { unavailableAfterMs: 1_000 });
    try {
      await store.appendAudit([{ time: 't1', actor: 'a', action: 'before', result: 'ok' }]);
      await store.putRun({
        id: 'r1',
        command: 'apply',
        actor: 'a',
        startedAt: 't1',
        result: 'succeeded',
        summary: {},
      });

      await server!.stopServer();
      const err = await store.listRuns().then(
        () => assert.fail('read while the server is down'),
        (e: unknown) => e as SetpointError,
      );
      assert.equal(err.code, 'SETPOINT_STATE_UNAVAILABLE');
      assert.match(
        err.message,
        new RegExp(`cannot reach the PostgreSQL server 127\\.0\\.0\\.1:${server!.port}`),
      );
      await assert.rejects(
        store.appendAudit([{ time: 't2', actor: 'a', action: 'while-down', result: 'ok' }]),
        /SETPOINT_STATE_UNAVAILABLE|cannot reach the PostgreSQL server/,
      );

      await server!.startServer();
      // The same handle works again: the pool replaced its dead connections.
      await store.appendAudit([{ time: 't3', actor: 'a', action: 'after', result: 'ok' }]);
      assert.deepEqual(
        (await store.listAudit()).map((e) => e.action),
        ['before', 'after'],
      );
      assert.equal((await store.verifyAudit()).ok, true);
      assert.deepEqual(
        (await store.listRuns()).map((r) => r.id),
        ['r1'],
      );
    } finally {
      await store.close();
    }
  });

  test('a write waits out a short restart instead of failing', async () => {
    const url = await server!.createDatabase();
    const store = await PostgresStore.open(url, { unavailableAfterMs: 30_000 });
    try {
      await store.appendAudit([{ time: 't1', actor: 'a', action: 'before', result: 'ok' }]);
      await server!.stopServer();
      const pending = store.appendAudit([{ time: 't2', actor: 'a', action: 'during', result: 'ok' }]);
      await server!.startServer();
      await pending;
      assert.deepEqual(
        (await store.listAudit()).map((e) => e.action),
        ['before', 'during'],
      );
    } finally {
      await store.close();
    }
  });
});

/** A project whose apply blocks in an Exec until the test creates `release`. */
function project(): string {
  const dir = tempDir('setpoint-pg-e2e-');
  writeFiles(dir, {
    'm/files.yaml': `kind: File
metadata: { name: one }
spec: { path: ${join(dir, 'one.txt')}, content: "one\\n" }
---
kind: File
metadata: { name: two }
spec: { path: ${join(dir, 'two.txt')}, content: "two\\n" }
`,
    'slow/slow.yaml': `kind: Exec
metadata: { name: slow }
spec:
  check: test -f ${join(dir, 'done')}
  apply: echo run >> ${join(dir, 'runs.log')}; while [ ! -f ${join(dir, 'release')} ]; do sleep 0.02; done; touch ${join(dir, 'done')}
`,
  });
  return dir;
}

describe('PostgreSQL store: the CLI', { skip }, () => {
  test('apply --state postgres://… converges and audits; SETPOINT_STATE_URL then plans no change', async () => {
    const dir = project();
    const url = await server!.createDatabase();
    const first = cli(['apply', '-f', 'm', '--yes', '--state', url], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(readFileSync(join(dir, 'one.txt'), 'utf8'), 'one\n');
    // SETPOINT_STATE_URL names the same state.
    const plan = cli(['plan', '-f', 'm', '--detailed-exitcode'], {
      cwd: dir,
      env: { SETPOINT_STATE_URL: url },
    });
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const verify = cli(['audit', 'verify', '--state', url], { cwd: dir });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const status = json<{ resources: unknown[] } | Array<unknown>>(
      cli(['status', '--json', '--state', url], { cwd: dir }),
    );
    assert.ok(status);
    // Nothing was written to a local SQLite state.
    assert.equal(existsSync(join(dir, '.setpoint', 'state.db')), false);
  });

  test('a password in the URL never reaches the output', async () => {
    const dir = project();
    const bad = cli(['status', '--state', `postgres://postgres:s3cret@127.0.0.1:1/none`], {
      cwd: dir,
      env: { SETPOINT_STATE_RETRY_MS: '200' },
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /postgres:\/\/postgres@127\.0\.0\.1:1\/none/);
    assert.doesNotMatch(bad.stdout + bad.stderr, /s3cret/);
  });

  test('two applies at once on one PostgreSQL state: the second is refused by the lease and runs nothing', async () => {
    const dir = project();
    const url = await server!.createDatabase();
    const child = cliSpawn(['apply', '-f', 'slow', '--yes', '--state', url], { cwd: dir });
    const done = exited(child);
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`the first apply exited early (${child.exitCode})`);
      return existsSync(join(dir, 'runs.log'));
    }, 'the first apply to be running');
    const second = cli(['apply', '-f', 'slow', '--yes', '--state', url], { cwd: dir });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`the state is locked by another run: apply, pid ${child.pid}`));
    writeFileSync(join(dir, 'release'), '');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'runs.log'), 'utf8'), 'run\n', 'the refused apply ran nothing');
  });
});
