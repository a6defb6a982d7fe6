/**
 * Secret references resolved for real: environment variables, files and
 * commands run through /bin/sh. Errors say what to do without ever showing
 * the command's output; values are registered with the redactor; the
 * digest is a keyed hash.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../test/helpers.js';
import { REDACTED, Redactor } from './redact.js';
import {
  describeRef,
  SecretError,
  SecretRefSchema,
  SecretResolver,
  type SecretResolverOptions,
} from './resolve.js';

function resolver(options: SecretResolverOptions = {}) {
  const redactor = new Redactor();
  return { redactor, secrets: new SecretResolver({ redactor, env: {}, ...options }) };
}

/** The error a promise rejects with, checked to be a SecretError. */
async function failure(p: Promise<unknown>): Promise<SecretError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SecretError, `not a SecretError: ${String(err)}`);
    assert.equal(err.code, 'SETPOINT_SECRET_UNRESOLVED');
    return err;
  }
  assert.fail('expected the secret to fail to resolve');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has exited; only its parent has not reaped it yet.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('SecretResolver: env', () => {
  it('reads the variable from the environment it was given and registers the value for redaction', async () => {
    const { secrets, redactor } = resolver({ env: { DB_PASSWORD: 'pg-pass-1234' } });
    assert.equal(await secrets.resolve({ env: 'DB_PASSWORD' }, '/'), 'pg-pass-1234');
    assert.equal(redactor.redact('password=pg-pass-1234'), `password=${REDACTED}`);
  });

  it('says which variable is missing and how to fix it', async () => {
    const { secrets } = resolver();
    const err = await failure(secrets.resolve({ env: 'DB_PASSWORD' }, '/'));
    assert.equal(err.message, 'environment variable DB_PASSWORD is not set');
    assert.equal(err.hint, 'export DB_PASSWORD before running setpoint, or change the secretRef');
  });

  it('does not remember a failure: a later attempt sees the variable once it is set', async () => {
    const env: NodeJS.ProcessEnv = {};
    const { secrets } = resolver({ env });
    await failure(secrets.resolve({ env: 'TOKEN' }, '/'));
    env.TOKEN = 'tok-5678';
    assert.equal(await secrets.resolve({ env: 'TOKEN' }, '/'), 'tok-5678');
  });

  it('uses process.env by default', async () => {
    process.env.SETPOINT_TEST_SECRET_ENV = 'from-process-env';
    try {
      assert.equal(
        await new SecretResolver({ redactor: new Redactor() }).resolve(
          { env: 'SETPOINT_TEST_SECRET_ENV' },
          '/',
        ),
        'from-process-env',
      );
    } finally {
      delete process.env.SETPOINT_TEST_SECRET_ENV;
    }
  });
});

describe('SecretResolver: file', () => {
  it('reads a file relative to the base folder, or at an absolute path, byte for byte', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pw.txt'), 'file-secret\n');
    const { secrets, redactor } = resolver();
    assert.equal(await secrets.resolve({ file: 'pw.txt' }, dir), 'file-secret\n');
    assert.equal(await secrets.resolve({ file: join(dir, 'pw.txt') }, '/elsewhere'), 'file-secret\n');
    assert.equal(redactor.redact('is file-secret'), `is ${REDACTED}`);
  });

  it('names the file and the reason when it cannot be read', async () => {
    const dir = tempDir();
    const { secrets } = resolver();
    const err = await failure(secrets.resolve({ file: 'missing.txt' }, dir));
    assert.equal(err.message, `cannot read secret file ${join(dir, 'missing.txt')}: ENOENT`);
    assert.equal(err.hint, 'check that the file exists and is readable by setpoint');
  });
});

describe('SecretResolver: command', () => {
  it('runs a string through /bin/sh in the base folder and takes stdout without its final newline', async () => {
    const dir = tempDir();
    const { secrets, redactor } = resolver();
    assert.equal(
      await secrets.resolve({ command: 'printf "cmd-secret-%s\\n\\n" "$((40 + 2))"' }, dir),
      'cmd-secret-42\n',
    );
    assert.equal(await secrets.resolve({ command: 'pwd' }, dir), dir);
    assert.equal(redactor.redact('got cmd-secret-42'), `got ${REDACTED}`);
  });

  it('runs an argv without a shell', async () => {
    const { secrets } = resolver();
    assert.equal(await secrets.resolve({ command: ['printf', '%s', 'a $b `c`'] }, tempDir()), 'a $b `c`');
  });

  it('reports a failed command by its exit status, never with its output', async () => {
    const { secrets } = resolver();
    const err = await failure(
      secrets.resolve({ command: 'echo half-a-secret-1234; echo stderr-part-5678 >&2; exit 3' }, tempDir()),
    );
    assert.equal(err.message, 'secret command /bin/sh failed (exit status 3)');
    assert.equal(err.hint, 'run the command by hand to see why; its output is never shown by setpoint');
    assert.doesNotMatch(err.message + err.hint + String(err.stack), /half-a-secret|stderr-part/);
  });

  it('refuses output over 1 MiB instead of cutting it', async () => {
    const { secrets } = resolver();
    const err = await failure(
      secrets.resolve({ command: "head -c 1100000 /dev/zero | tr '\\0' a" }, tempDir()),
    );
    assert.equal(err.message, 'secret command /bin/sh printed more than 1 MiB');
  });

  it('reports a command that cannot be started', async () => {
    const { secrets } = resolver();
    const err = await failure(secrets.resolve({ command: ['/nonexistent/vault', 'read'] }, tempDir()));
    assert.equal(err.message, 'secret command /nonexistent/vault failed (ENOENT)');
  });

  it('stops a command at its timeout, with the processes it started', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'child.pid');
    const { secrets } = resolver({ commandTimeoutMs: 300 });
    const started = performance.now();
    const err = await failure(secrets.resolve({ command: `sleep 30 & echo $! > ${pidFile}; wait` }, dir));
    assert.ok(performance.now() - started < 5_000, 'returned at the timeout');
    assert.equal(err.message, 'secret command /bin/sh timed out after 300 ms');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
    assert.equal(alive(pid), false, `the background sleep ${pid} is still running`);
  });

  it('runs a command once for the same reference, even when asked concurrently', async () => {
    const dir = tempDir();
    const counter = join(dir, 'runs');
    const { secrets } = resolver();
    const ref = { command: `echo run >> ${counter}; echo counted-secret` };
    const values = await Promise.all([secrets.resolve(ref, dir), secrets.resolve(ref, dir)]);
    assert.deepEqual(values, ['counted-secret', 'counted-secret']);
    assert.equal(await secrets.resolve(ref, dir), 'counted-secret');
    assert.equal(readFileSync(counter, 'utf8'), 'run\n');
  });

  it('runs a failed command again on the next attempt', async () => {
    const dir = tempDir();
    const flag = join(dir, 'ready');
    const { secrets } = resolver();
    const ref = { command: `test -f ${flag} && echo now-ready` };
    await failure(secrets.resolve(ref, dir));
    writeFileSync(flag, '');
    assert.equal(await secrets.resolve(ref, dir), 'now-ready');
    assert.ok(existsSync(flag));
  });
});

describe('SecretResolver.digest', () => {
  it('is an HMAC-SHA256 keyed by the salt', () => {
    const { secrets } = resolver({ salt: 'store-salt' });
    const expected = 'hmac-sha256:' + createHmac('sha256', 'store-salt').update('pg-pass-1234').digest('hex');
    assert.equal(secrets.digest('pg-pass-1234'), expected);
    assert.equal(secrets.digest(Buffer.from('pg-pass-1234')), expected);
  });

  it('differs between salts and between values, and is stable for one salt', () => {
    const a = resolver({ salt: 'salt-a' }).secrets;
    const b = resolver({ salt: 'salt-b' }).secrets;
    assert.notEqual(a.digest('v'), b.digest('v'));
    assert.notEqual(a.digest('v'), a.digest('w'));
    assert.equal(a.digest('v'), resolver({ salt: 'salt-a' }).secrets.digest('v'));
    assert.equal(
      resolver().secrets.digest('v'),
      'hmac-sha256:' + createHmac('sha256', 'setpoint').update('v').digest('hex'),
    );
  });
});

describe('SecretRefSchema and describeRef', () => {
  it('takes exactly one of env, file or command', () => {
    assert.equal(SecretRefSchema.safeParse({ env: 'A' }).success, true);
    assert.equal(SecretRefSchema.safeParse({ file: 'a.txt' }).success, true);
    assert.equal(SecretRefSchema.safeParse({ command: 'pass show db' }).success, true);
    assert.equal(SecretRefSchema.safeParse({ command: ['pass', 'show', 'db'] }).success, true);
    const none = SecretRefSchema.safeParse({});
    assert.equal(none.error?.issues[0].message, 'a secretRef names exactly one of env, file or command');
    assert.equal(SecretRefSchema.safeParse({ env: 'A', file: 'b' }).success, false);
    assert.equal(SecretRefSchema.safeParse({ command: [] }).success, false);
    assert.equal(SecretRefSchema.safeParse({ env: '' }).success, false);
    assert.equal(SecretRefSchema.safeParse({ env: 'A', value: 'inline' }).success, false);
  });

  it('describes a reference without its value', () => {
    assert.equal(describeRef({ env: 'DB_PASSWORD' }), 'env DB_PASSWORD');
    assert.equal(describeRef({ file: 'pw.txt' }), 'file pw.txt');
    assert.equal(describeRef({ command: ['pass', 'show', 'db'] }), 'command pass show db');
    assert.equal(describeRef({ command: 'vault read x' }), 'command vault read x');
  });
});
