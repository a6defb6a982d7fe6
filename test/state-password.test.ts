/**
 * The PostgreSQL state's password by secretRef (`state: { url, passwordRef }`
 * in setpoint.yaml), on a real PostgreSQL 15 whose role must give a password:
 * the CLI logs in with it from an environment variable or a file, and the
 * password reaches neither the output (`status --json`, events, the log)
 * nor the state itself; a wrong one fails with a clear error that does not
 * contain it; a URL that carries a password beside passwordRef is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { cli, tempDir, writeFiles } from './helpers.js';
import { postgresUnavailable, TestPostgres } from './support/postgres.js';

const skip = postgresUnavailable;
const PASSWORD = 'pw-Zq8#xv!77-secret';
let server: TestPostgres | undefined;
/** postgres://keeper@127.0.0.1:PORT/postgres: a role that must give PASSWORD. */
let roleUrl = '';
before(async () => {
  if (skip) return;
  server = await TestPostgres.start();
  roleUrl = await server.passwordRole('keeper', PASSWORD);
});
after(async () => {
  await server?.stop();
});

/** A project whose setpoint.yaml names `state` (YAML) and manages one file. */
function project(state: string, extra: Record<string, string> = {}): string {
  const dir = tempDir();
  writeFiles(dir, {
    'setpoint.yaml': `state:\n${state}\n`,
    'manifests/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${join(dir, 'a.txt')}, content: "a\\n" }\n`,
    ...extra,
  });
  return dir;
}

/** A fresh database, and its URL for the password role. */
async function database(): Promise<string> {
  const url = await server!.createDatabase();
  return roleUrl.replace(/\/postgres$/, `/${new URL(url).pathname.slice(1)}`);
}

/** Every row of every table of the state, as text. */
async function stateText(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url.replace('@', `:${encodeURIComponent(PASSWORD)}@`) });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert.ok(tables.length > 5, 'the state has its tables');
    let text = '';
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      text += rows.map((r) => r.row).join('\n');
    }
    return text;
  } finally {
    await client.end();
  }
}

describe('the PostgreSQL state password by secretRef', { skip }, () => {
  test('from an environment variable: apply, status, events and audit work, and the password is nowhere', async () => {
    const url = await database();
    const dir = project(`  url: ${url}\n  passwordRef: { env: STATE_PW }`);
    const env = { STATE_PW: PASSWORD, PGPASSWORD: undefined };
    const apply = cli(['apply', '--yes'], { cwd: dir, env });
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'a\n');

    const outputs = [apply.stdout + apply.stderr];
    for (const args of [['status', '--json'], ['events', '--json'], ['audit', 'verify'], ['history']]) {
      const r = cli(args, { cwd: dir, env });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      outputs.push(r.stdout + r.stderr);
    }
    outputs.push(readFileSync(join(dir, '.setpoint', 'setpoint.log'), 'utf8'));
    const status = outputs[1];
    assert.match(status, /"resources"/);
    for (const text of [...outputs, await stateText(url)]) {
      assert.ok(!text.includes(PASSWORD), 'the password is not in the output, the log or the state');
      assert.ok(!text.includes('pw-Zq8'), 'not even a part of it');
    }
  });

  test('from a file next to setpoint.yaml', async () => {
    const url = await database();
    const dir = project(`  url: ${url}\n  passwordRef: { file: state.pw }`, { 'state.pw': `${PASSWORD}\n` });
    const sub = join(dir, 'manifests');
    // Run from a subfolder: the file is found relative to the project, not the working folder.
    const r = cli(['apply', '--yes', '-f', '.'], { cwd: sub, env: { PGPASSWORD: undefined } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'a\n');
  });

  test('a wrong password: a clear login error that contains neither password', async () => {
    const url = await database();
    const wrong = 'wrong-Pw-4417-abc';
    const dir = project(`  url: ${url}\n  passwordRef: { env: STATE_PW }`);
    for (const args of [
      ['status', '--json'],
      ['apply', '--yes'],
    ]) {
      const r = cli(args, { cwd: dir, env: { STATE_PW: wrong, PGPASSWORD: undefined } });
      assert.notEqual(r.code, 0, `${args.join(' ')} fails`);
      const text = r.stdout + r.stderr;
      assert.match(text, /refused the login/);
      assert.match(text, /passwordRef/, 'the hint names the way to give it');
      assert.match(text, new RegExp(`postgres://keeper@127\\.0\\.0\\.1:${server!.port}/`));
      // Not there at all: not even scrubbed to a placeholder.
      for (const secret of [wrong, PASSWORD]) assert.ok(!text.includes(secret), text);
      assert.doesNotMatch(text, /\(sensitive\)/);
    }
  });

  test('an unset variable is named; without passwordRef the login is refused', async () => {
    const url = await database();
    const dir = project(`  url: ${url}\n  passwordRef: { env: STATE_PW }`);
    const unset = cli(['status'], { cwd: dir, env: { STATE_PW: undefined, PGPASSWORD: undefined } });
    assert.notEqual(unset.code, 0);
    assert.match(unset.stderr, /environment variable STATE_PW is not set/);

    // --state naming another location does not get the password of setpoint.yaml's URL.
    const other = cli(['status', '--state', url], {
      cwd: dir,
      env: { STATE_PW: PASSWORD, PGPASSWORD: undefined, SETPOINT_STATE_RETRY_MS: '200' },
    });
    assert.equal(other.code, 0, 'the same URL is the same location: its passwordRef applies');
    const bare = cli(['status', '--state', url.replace('postgres://', 'postgresql://')], {
      cwd: dir,
      env: { STATE_PW: PASSWORD, PGPASSWORD: undefined, SETPOINT_STATE_RETRY_MS: '200' },
    });
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /refused the login \(it asks for a password and none was given\)/);
    // The standard PG variables still work on their own.
    const viaEnv = cli(['status', '--state', url.replace('postgres://', 'postgresql://')], {
      cwd: dir,
      env: { PGPASSWORD: PASSWORD },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
  });

  test('a URL that carries a password beside passwordRef is refused, naming the field', () => {
    const dir = project(`  url: postgres://keeper:inline@127.0.0.1:1/db\n  passwordRef: { env: STATE_PW }`);
    const r = cli(['status'], { cwd: dir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /setpoint\.yaml/);
    assert.match(r.stderr, /state\.url/);
    assert.match(r.stderr, /passwordRef gives it/);
    assert.ok(!r.stderr.includes('inline'), r.stderr);
  });
});
