/**
 * Secrets end to end: a File whose content comes from an env secretRef and
 * an Exec that echoes a secret from its env. The value must appear nowhere
 * setpoint writes or prints (plan, apply, --json, events, describe, status,
 * the JSON log, the SQLite files, caches, the audit log and its export)
 * while the managed file holds it.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { exited, json, sandbox, waitFor, type CliResult, type Sandbox } from './helpers.js';

const SECRET = 'sp-Secret-7f3Kq9-zz';
const env = { SP_TEST_SECRET: SECRET };

/** `execApply` runs in the sandbox folder; it must create `done` for the check to pass. */
function project(s: Sandbox, execApply = 'echo "token is $TOKEN" && touch done'): void {
  s.write({
    'm/secret.yaml': `kind: File
metadata: { name: token }
spec:
  path: ${s.path('out', 'token')}
  contentFrom:
    secretRef: { env: SP_TEST_SECRET }
  mode: "0600"
dependsOn: [Directory/out]
---
kind: Directory
metadata: { name: out }
spec: { path: ${s.path('out')} }
---
kind: Exec
metadata: { name: echo }
spec:
  check: test -f done
  apply: ${JSON.stringify(execApply)}
  cwd: ${s.dir}
  env:
    TOKEN: { secretRef: { env: SP_TEST_SECRET } }
dependsOn: [File/token]
`,
  });
}

/** Every file under `dir` (recursively) except `skip`, with its bytes. */
function filesUnder(dir: string, skip: readonly string[]): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, name);
    if (skip.includes(path) || !statSync(path).isFile()) continue;
    out.push([path, readFileSync(path)]);
  }
  return out;
}

function assertNoSecret(what: string, r: CliResult): void {
  assert.ok(!(r.stdout + r.stderr).includes(SECRET), `${what} printed the secret:\n${r.stdout}\n${r.stderr}`);
}

describe('secrets', () => {
  test('the secret is written to the managed file and appears nowhere else', () => {
    const s = sandbox();
    project(s);
    const run = (args: string[]) => s.run([...args, '--log-level', 'debug'], { env });

    const outputs: Record<string, CliResult> = {};
    outputs.validate = run(['validate', '-f', 'm']);
    outputs.plan = run(['plan', '-f', 'm']);
    outputs.planJson = run(['plan', '-f', 'm', '--json']);
    outputs.apply = run(['apply', '-f', 'm', '--yes']);
    assert.equal(outputs.apply.code, 0, outputs.apply.stderr);
    assert.equal(readFileSync(s.path('out', 'token'), 'utf8'), SECRET, 'the managed file holds the secret');
    assert.equal(statSync(s.path('out', 'token')).mode & 0o777, 0o600);

    // Hand-edit the secret file: drift and repair must not show it either.
    writeFileSync(s.path('out', 'token'), 'tampered\n');
    outputs.drift = run(['drift', '-f', 'm']);
    assert.equal(outputs.drift.code, 2);
    assert.match(outputs.drift.stdout, /~ spec\.contentFrom: \(sensitive\) value changed/);
    outputs.driftJson = run(['drift', '-f', 'm', '--json']);
    outputs.describeDrifted = run(['describe', 'File/token', '-f', 'm']);
    outputs.planDrifted = run(['plan', '-f', 'm']);
    outputs.applyJson = run(['apply', '-f', 'm', '--yes', '--json']);
    assert.equal(outputs.applyJson.code, 0, outputs.applyJson.stderr);
    assert.equal(readFileSync(s.path('out', 'token'), 'utf8'), SECRET);

    outputs.status = run(['status']);
    outputs.statusJson = run(['status', '--json']);
    outputs.get = run(['get', 'File/token', '--json']);
    outputs.describe = run(['describe', 'File/token', '-f', 'm']);
    outputs.describeExec = run(['describe', 'Exec/echo', '-f', 'm', '--json']);
    outputs.events = run(['events']);
    outputs.eventsJson = run(['events', '--json']);
    outputs.history = run(['history', '--json']);
    outputs.audit = run(['audit']);
    outputs.auditJson = run(['audit', '--json']);
    outputs.auditVerify = run(['audit', 'verify']);
    assert.equal(outputs.auditVerify.code, 0, outputs.auditVerify.stdout);
    outputs.auditExport = run(['audit', 'export']);
    outputs.auditExportFile = run(['audit', 'export', '-o', s.path('audit.jsonl')]);
    assert.equal(outputs.auditExportFile.code, 0, outputs.auditExportFile.stderr);
    for (const [what, r] of Object.entries(outputs)) assertNoSecret(what, r);

    // The audit trail has the Exec that echoed the secret, and its export is kept beside the state (scanned below).
    const audit = json<Array<{ action: string; resourceId?: string; result: string }>>(outputs.auditJson);
    assert.ok(
      audit.some(
        (e) =>
          e.action === 'apply.create' && e.resourceId === 'Exec/default/echo' && e.result === 'succeeded',
      ),
      JSON.stringify(audit),
    );

    // The command's output was captured into an event, with the secret redacted.
    const events = json<Array<{ resourceId?: string; reason: string; message: string }>>(outputs.eventsJson);
    const output = events.find((e) => e.resourceId === 'Exec/default/echo' && e.reason === 'CommandOutput');
    assert.ok(output, `the Exec's output is an event: ${JSON.stringify(events)}`);
    assert.match(output.message, /token is \(sensitive\)/);

    // Nothing setpoint keeps next to the state (state.db, -wal, -shm, setpoint.log, caches) holds the value.
    const kept = filesUnder(s.dir, [s.path('out', 'token')]);
    const names = kept.map(([p]) => relative(s.dir, p));
    assert.ok(names.includes('state.db'), `state kept: ${names.join(', ')}`);
    assert.ok(names.includes('setpoint.log'), `log kept: ${names.join(', ')}`);
    assert.ok(names.includes('audit.jsonl'), `audit export kept: ${names.join(', ')}`);
    assert.match(
      readFileSync(s.path('setpoint.log'), 'utf8'),
      /"resourceId":"File\/default\/token"/,
      'the log records the resource',
    );
    for (const [path, bytes] of kept) {
      assert.equal(bytes.includes(SECRET), false, `${relative(s.dir, path)} contains the secret`);
      assert.equal(
        bytes.includes(Buffer.from(SECRET, 'utf16le')),
        false,
        `${relative(s.dir, path)} contains the secret (UTF-16)`,
      );
    }
  });

  test('the state WAL does not hold the secret while a run is in flight', async () => {
    const s = sandbox();
    project(s, 'echo "token is $TOKEN"; while [ ! -f release ]; do sleep 0.02; done; touch done');
    const child = s.spawn(['apply', '-f', 'm', '--yes'], { env });
    const done = exited(child);
    // The token's records and events are flushed to the WAL while the Exec still waits.
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`apply exited early (${child.exitCode})`);
      if (!existsSync(s.state)) return false;
      const db = new Database(s.state, { readonly: true, fileMustExist: true });
      try {
        const row = db
          .prepare("SELECT count(*) AS n FROM events WHERE resource_id = 'File/default/token'")
          .get() as { n: number };
        return row.n > 0;
      } catch {
        return false;
      } finally {
        db.close();
      }
    }, 'the token to be recorded');
    const wal = readFileSync(`${s.state}-wal`);
    assert.ok(wal.length > 0, 'the run writes through the WAL');
    assert.ok(wal.includes('File/default/token'), 'the WAL holds the token record');
    assert.equal(wal.includes(SECRET), false, 'state.db-wal contains the secret');
    assert.equal(readFileSync(s.state).includes(SECRET), false, 'state.db contains the secret');
    writeFileSync(s.path('release'), '');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret('apply', r);
  });

  // One project for both concerns (a failing command's error redacted; a secret with quotes, a backslash and a tab found neither raw nor JSON-escaped): each CLI start costs.
  test('a failing command that prints a secret with quotes, a backslash and a tab: the error is shown and stored redacted, neither raw nor JSON-escaped', () => {
    const secret = 'q"uo\\te-S3cret\tx';
    const escaped = JSON.stringify(secret).slice(1, -1);
    const withSecret = { env: { SP_TEST_SECRET: secret } };
    const s = sandbox();
    project(s, 'printf "bad token %s\\n" "$TOKEN" >&2; exit 3');
    const found = (text: string | Buffer) => text.includes(secret) || text.includes(escaped);
    const apply = s.run(['apply', '-f', 'm', '--yes'], withSecret);
    assert.equal(apply.code, 1);
    assert.match(
      apply.stdout,
      /✗ Exec\/default\/echo: create failed: apply command failed \(exit 3\): bad token \S+/,
    );
    const applyJson = s.run(['apply', '-f', 'm', '--yes', '--json'], withSecret);
    assert.equal(applyJson.code, 1);
    assert.match(
      applyJson.stdout,
      /bad token \(sensitive\)/,
      'the --json report shows the echoed secret redacted',
    );
    const status = s.run(['status', '--json']);
    assert.match(status.stdout, /apply command failed \(exit 3\)/);
    const audit = s.run(['audit', '--json']);
    assert.match(audit.stdout, /"result": "failed"[\s\S]*bad token \(sensitive\)/);
    const outputs = [
      apply,
      applyJson,
      s.run(['plan', '-f', 'm', '--json'], withSecret),
      s.run(['describe', 'Exec/echo', '-f', 'm', '--json'], withSecret),
      s.run(['events', '--json']),
      status,
      audit,
      s.run(['audit', 'export', '-o', s.path('audit.jsonl')]),
    ];
    for (const r of outputs)
      assert.equal(found(r.stdout + r.stderr), false, `printed the secret:\n${r.stdout}\n${r.stderr}`);
    assert.equal(readFileSync(s.path('out', 'token'), 'utf8'), secret, 'the managed file holds it');
    const kept = filesUnder(s.dir, [s.path('out', 'token')]);
    assert.ok(
      kept.some(([path]) => path === s.path('audit.jsonl')),
      'the audit export is among the files scanned',
    );
    for (const [path, bytes] of kept)
      assert.equal(found(bytes), false, `${relative(s.dir, path)} contains the secret`);
  });

  test('a missing secret is a plan error naming the variable and the field; nothing is applied', () => {
    const s = sandbox();
    project(s);
    const r = s.run(['apply', '-f', 'm', '--yes'], { env: { SP_TEST_SECRET: undefined } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /secret\.yaml:6:\d+: File\/default\/token: spec\.contentFrom\.secretRef: .*SP_TEST_SECRET/,
    );
    assert.match(r.stderr, /nothing was applied/);
    assert.deepEqual(
      readdirSync(s.dir).filter((n) => n === 'out'),
      [],
    );
  });
});
