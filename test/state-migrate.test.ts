/**
 * `setpoint state migrate|backup|restore` end to end with the real CLI: a
 * SQLite project with history moves into a real PostgreSQL 15 and `history`,
 * `audit verify` and `status` say the same there; a non-empty target is
 * refused; a SQLite backup restores the state it copied, and a restore is
 * refused while a run holds the state lock.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, cliSpawn, exited, json, tempDir, waitFor, writeFiles } from './helpers.js';
import { postgresUnavailable, TestPostgres } from './support/postgres.js';

let server: TestPostgres | undefined;
before(async () => {
  if (!postgresUnavailable) server = await TestPostgres.start();
});
after(async () => {
  await server?.stop();
});

/** A project with history: two applies with a change between them, a token, a drift. */
function projectWithHistory(): {
  dir: string;
  run: (args: string[], state?: string) => ReturnType<typeof cli>;
} {
  const dir = tempDir('setpoint-migrate-');
  const sqlite = join(dir, '.setpoint', 'state.db');
  const run = (args: string[], state = sqlite) => cli([...args, '--state', state], { cwd: dir });
  const manifest = (content: string) =>
    writeFiles(dir, {
      'm/files.yaml': `kind: File
metadata: { name: motd, labels: { owner: web } }
spec: { path: ${join(dir, 'motd')}, content: "${content}\\n" }
---
kind: File
metadata: { name: issue }
spec: { path: ${join(dir, 'issue')}, content: "issue\\n" }
`,
    });
  manifest('one');
  for (const args of [['apply', '-f', 'm', '--yes']]) assert.equal(run(args).code, 0);
  manifest('two');
  assert.equal(run(['apply', '-f', 'm', '--yes']).code, 0);
  assert.equal(run(['token', 'create', '--name', 'ci', '--role', 'viewer']).code, 0);
  return { dir, run };
}

/**
 * One project with history for the tests that only read its SQLite state
 * (migrate copies from it, a restore is refused before touching it): its
 * three CLI runs are made once per file, not once per test.
 */
let shared: ReturnType<typeof projectWithHistory> | undefined;
const sharedProject = () => (shared ??= projectWithHistory());

describe('state migrate', { skip: postgresUnavailable }, () => {
  test('history, audit verify and status say the same before and after moving to PostgreSQL', async () => {
    const { dir, run } = sharedProject();
    const url = await server!.createDatabase();
    // --json: the human forms say "2s ago", which moves while the test runs.
    const commands = [
      'history --json',
      'audit verify --json',
      'status --json',
      'token list --json',
      'audit --json',
    ];
    const before = commands.map((c) => run(c.split(' ')));
    const migrated = run(['state', 'migrate', '--to', url]);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /audit chain verified in PostgreSQL: \d+ entries/);
    assert.match(migrated.stdout, /revisions\s+\d+/);
    assert.match(migrated.stdout, /api_tokens\s+1/);
    const afterwards = commands.map((c) => run(c.split(' '), url));
    for (let i = 0; i < before.length; i++) {
      assert.equal(afterwards[i].code, before[i].code, afterwards[i].stderr);
      assert.equal(afterwards[i].stdout, before[i].stdout, commands[i]);
      assert.notEqual(before[i].stdout.trim(), '', commands[i]);
    }
    // The copy goes on: a repair applied against PostgreSQL extends the same chain.
    writeFileSync(join(dir, 'motd'), 'changed by hand\n');
    assert.equal(run(['apply', '-f', 'm', '--yes'], url).code, 0);
    const verified = json<{ ok: boolean; entries: number }>(run(['audit', 'verify', '--json'], url));
    assert.equal(verified.ok, true);
    assert.ok(verified.entries > json<{ entries: number }>(before[1]).entries);
  });

  test('refuses a target that is not empty, and changes nothing there', async () => {
    const { run } = sharedProject();
    const url = await server!.createDatabase();
    assert.equal(run(['state', 'migrate', '--to', url]).code, 0);
    const before = run(['history'], url).stdout;
    const again = run(['state', 'migrate', '--to', url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /the target state postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ is not empty/);
    assert.match(again.stderr, /hint: migrate into a new, empty database/);
    assert.equal(run(['history'], url).stdout, before);
  });

  test('refuses a target that is not a PostgreSQL URL', () => {
    const { run } = sharedProject();
    const r = run(['state', 'migrate', '--to', '/tmp/other.db']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--to \/tmp\/other\.db is not a postgres:\/\/ URL/);
  });
});

describe('state backup and restore (SQLite)', () => {
  test('a restore brings back the state the backup copied, and audits itself on a verifiable chain', () => {
    const { dir, run } = projectWithHistory();
    const backup = join(dir, 'backup.db');
    const historyThen = run(['history', '--json']).stdout;
    const b = run(['state', 'backup', backup]);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(existsSync(backup));
    // The state moves on after the backup...
    writeFileSync(join(dir, 'motd'), 'changed by hand\n');
    assert.equal(run(['apply', '-f', 'm', '--yes']).code, 0);
    assert.notEqual(run(['history', '--json']).stdout, historyThen);
    // ...and the restore brings it back.
    const r = run(['state', 'restore', backup]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /The replaced state is kept at /);
    assert.equal(run(['history', '--json']).stdout, historyThen);
    const verify = run(['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const last = json<Array<{ action: string }>>(run(['audit', '--json']));
    assert.equal(last[last.length - 1].action, 'state.restore');
    // A backup never overwrites a file.
    assert.equal(run(['state', 'backup', backup]).code, 1);
  });

  test('a restore is refused while a run holds the state lock', async () => {
    const { dir, run } = sharedProject();
    const backup = join(dir, 'backup.db');
    assert.equal(run(['state', 'backup', backup]).code, 0);
    writeFiles(dir, {
      'slow/slow.yaml': `kind: Exec
metadata: { name: slow }
spec:
  check: test -f ${join(dir, 'done')}
  apply: echo run >> ${join(dir, 'runs.log')}; while [ ! -f ${join(dir, 'release')} ]; do sleep 0.02; done; touch ${join(dir, 'done')}
`,
    });
    const child = cliSpawn(['apply', '-f', 'slow', '--yes', '--state', join(dir, '.setpoint', 'state.db')], {
      cwd: dir,
    });
    const done = exited(child);
    await waitFor(() => existsSync(join(dir, 'runs.log')), 'the apply to hold the lock');
    const r = run(['state', 'restore', backup]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`the state is locked by another run: apply, pid ${child.pid}`));
    writeFileSync(join(dir, 'release'), '');
    assert.equal((await done).code, 0);
    // Nothing was replaced: the apply's work is in the history.
    assert.match(run(['history']).stdout, /apply/);
  });

  test('backup and restore of a PostgreSQL state point to pg_dump and pg_restore', () => {
    const dir = tempDir();
    const r = cli(['state', 'backup', join(dir, 'b.db'), '--state', 'postgres://app:pw@127.0.0.1:1/x'], {
      cwd: dir,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /state backup works on a SQLite state; postgres:\/\/app@127\.0\.0\.1:1\/x is PostgreSQL/,
    );
    assert.match(r.stderr, /pg_dump/);
    assert.doesNotMatch(r.stderr, /:pw@/);
  });
});
