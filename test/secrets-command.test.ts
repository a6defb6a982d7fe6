/**
 * `secretRef.command` end to end: a File whose content comes from a command
 * (a stand-in for a vault CLI, as an argv) and an Exec whose env comes from
 * one (as a shell string), the Exec echoing the value on stdout and stderr.
 * The value must be found nowhere setpoint writes or prints: the state files
 * (raw bytes, the WAL during a run too), the JSON log, events, plan (human
 * and --json), apply, describe, status, the audit log and its export, error
 * messages; only the managed targets hold it.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { AuditEntry } from '../src/store/index.js';
import { exited, json, sandbox, waitFor, type CliResult, type Sandbox } from './helpers.js';

const SECRET = 'vault-Pw-91xQ7-kk';
/** The fake vault reads its data from here; setpoint itself is never told the value. */
const env = { SP_VAULT_DATA: SECRET };

/** A fake vault CLI (`vault.sh read NAME`), a File from it, an Exec whose env comes from it. */
function project(
  s: Sandbox,
  execApply = 'echo "token is $TOKEN"; echo "stderr $TOKEN" >&2; touch done',
): void {
  s.write({
    'bin/vault.sh': `#!/bin/sh
# A stand-in for a vault CLI.
[ "$1" = read ] || { echo "usage: vault.sh read NAME" >&2; exit 2; }
printf '%s\\n' "$SP_VAULT_DATA"
`,
    'm/app.yaml': `kind: Directory
metadata: { name: out }
spec: { path: ${s.path('out')} }
---
kind: File
metadata: { name: db-password }
spec:
  path: ${s.path('out', 'db-password')}
  contentFrom:
    secretRef: { command: [${s.path('bin', 'vault.sh')}, read, db] }
  mode: "0600"
dependsOn: [Directory/out]
---
kind: Exec
metadata: { name: migrate }
spec:
  check: test -f done
  apply: ${JSON.stringify(execApply)}
  cwd: ${s.dir}
  env:
    TOKEN: { secretRef: { command: "${s.path('bin', 'vault.sh')} read db" } }
dependsOn: [File/db-password]
`,
  });
  chmodSync(s.path('bin', 'vault.sh'), 0o755);
}

/** Files setpoint keeps (state, WAL, log, caches, exports), with their bytes; not the managed targets. */
function keptFiles(s: Sandbox): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const name of readdirSync(s.dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(s.dir, name);
    if (path === s.path('out', 'db-password') || !existsSync(path) || !statSync(path).isFile()) continue;
    out.push([path, readFileSync(path)]);
  }
  return out;
}

function assertNotIn(what: string, bytes: Buffer | string): void {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  assert.equal(b.includes(SECRET), false, `${what} contains the secret`);
  assert.equal(b.includes(Buffer.from(SECRET, 'utf16le')), false, `${what} contains the secret (UTF-16)`);
}

function assertNoSecret(what: string, r: CliResult): void {
  assertNotIn(what, r.stdout + r.stderr);
}

describe('secrets from commands', () => {
  test('a File and an Exec env from a command: the value reaches the targets and nothing else', () => {
    const s = sandbox();
    project(s);
    const run = (args: string[]) => s.run([...args, '--log-level', 'debug'], { env });
    const outputs: Record<string, CliResult> = {};
    outputs.plan = run(['plan', '-f', 'm']);
    assert.equal(outputs.plan.code, 0, outputs.plan.stderr);
    assert.match(outputs.plan.stdout, /\+ spec\.contentFrom: \(sensitive\)/);
    outputs.planJson = run(['plan', '-f', 'm', '--json']);
    outputs.apply = run(['apply', '-f', 'm', '--yes']);
    assert.equal(outputs.apply.code, 0, outputs.apply.stderr);
    assert.equal(
      readFileSync(s.path('out', 'db-password'), 'utf8'),
      SECRET,
      'the File holds the command output without its final newline',
    );

    // Drift on the secret file, repaired by a second apply (with --json).
    writeFileSync(s.path('out', 'db-password'), 'tampered');
    outputs.drift = run(['drift', '-f', 'm', '--json']);
    assert.equal(outputs.drift.code, 2);
    outputs.planDrifted = run(['plan', '-f', 'm']);
    outputs.planDriftedJson = run(['plan', '-f', 'm', '--json']);
    outputs.applyJson = run(['apply', '-f', 'm', '--yes', '--json']);
    assert.equal(outputs.applyJson.code, 0, outputs.applyJson.stderr);
    assert.equal(readFileSync(s.path('out', 'db-password'), 'utf8'), SECRET);

    outputs.describeFile = run(['describe', 'File/db-password', '-f', 'm']);
    outputs.describeFileJson = run(['describe', 'File/db-password', '-f', 'm', '--json']);
    outputs.describeExec = run(['describe', 'Exec/migrate', '-f', 'm']);
    outputs.describeExecJson = run(['describe', 'Exec/migrate', '-f', 'm', '--json']);
    outputs.status = run(['status', '--json']);
    outputs.get = run(['get', 'File/db-password', '--json']);
    outputs.events = run(['events']);
    outputs.eventsJson = run(['events', '--json']);
    outputs.history = run(['history', '--json']);
    outputs.audit = run(['audit']);
    outputs.auditJson = run(['audit', '--json']);
    outputs.auditVerify = run(['audit', 'verify']);
    assert.equal(outputs.auditVerify.code, 0, outputs.auditVerify.stdout);
    outputs.exportStdout = run(['audit', 'export']);
    outputs.export = run(['audit', 'export', '-o', s.path('audit.jsonl')]);
    assert.equal(outputs.export.code, 0, outputs.export.stderr);
    for (const [what, r] of Object.entries(outputs)) assertNoSecret(what, r);

    // The Exec ran with the secret and echoed it; the events show it redacted.
    const events = json<Array<{ resourceId?: string; reason: string; message: string }>>(outputs.eventsJson);
    const echoed = events.find(
      (e) => e.resourceId === 'Exec/default/migrate' && e.reason === 'CommandOutput',
    );
    assert.ok(echoed, `the Exec's output is an event: ${JSON.stringify(events)}`);
    assert.match(echoed.message, /token is \(sensitive\)\nstderr \(sensitive\)/);

    // The audit trail records every action, with digests, never the value.
    const audit = json<AuditEntry[]>(outputs.auditJson);
    assert.deepEqual(
      audit.map((e) => `${e.action} ${e.resourceId} ${e.result}`),
      [
        'apply.create Directory/default/out succeeded',
        'apply.create File/default/db-password succeeded',
        'apply.create Exec/default/migrate succeeded',
        'apply.update File/default/db-password succeeded',
      ],
    );
    assert.ok(audit.every((e) => /^[0-9a-f]{64}$/.test(e.diffDigest ?? '')));
    const exported = readFileSync(s.path('audit.jsonl'), 'utf8');
    assert.equal(exported.split('\n').length, 6, 'four entries, the head line, the final newline');

    // Every file setpoint keeps: state.db (and -wal/-shm if left), setpoint.log, caches, the export.
    const kept = keptFiles(s);
    const names = kept.map(([p]) => relative(s.dir, p));
    for (const expected of ['state.db', 'setpoint.log', 'audit.jsonl'])
      assert.ok(names.includes(expected), `${expected} among ${names.join(', ')}`);
    for (const [path, bytes] of kept) assertNotIn(relative(s.dir, path), bytes);
    assert.match(readFileSync(s.path('setpoint.log'), 'utf8'), /"resourceId":"Exec\/default\/migrate"/);
  });

  test('the WAL, the log and the audit table do not hold the value while a run is in flight', async () => {
    const s = sandbox();
    project(s, 'echo "token is $TOKEN"; while [ ! -f release ]; do sleep 0.02; done; touch done');
    const child = s.spawn(['apply', '-f', 'm', '--yes', '--log-level', 'debug'], { env });
    const done = exited(child);
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`apply exited early (${child.exitCode})`);
      if (!existsSync(s.state)) return false;
      const db = new Database(s.state, { readonly: true, fileMustExist: true });
      try {
        // The File is done (and flushed) while the Exec, which resolved its env from the command, still waits.
        const audit = db
          .prepare("SELECT count(*) AS n FROM audit WHERE resource_id = 'File/default/db-password'")
          .get() as { n: number };
        return audit.n > 0;
      } catch {
        return false;
      } finally {
        db.close();
      }
    }, 'the File audit entry to be recorded');
    const wal = readFileSync(`${s.state}-wal`);
    assert.ok(wal.includes('File/default/db-password'), 'the WAL holds the run');
    assertNotIn('state.db-wal', wal);
    assertNotIn('state.db', readFileSync(s.state));
    if (existsSync(s.path('setpoint.log'))) assertNotIn('setpoint.log', readFileSync(s.path('setpoint.log')));
    writeFileSync(s.path('release'), '');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret('apply', r);
    for (const [path, bytes] of keptFiles(s)) assertNotIn(relative(s.dir, path), bytes);
  });

  test('an Exec that fails printing the value: the error is shown, stored and audited redacted', () => {
    const s = sandbox();
    project(s, 'echo "bad token $TOKEN" >&2; exit 3');
    const r = s.run(['apply', '-f', 'm', '--yes'], { env });
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /✗ Exec\/default\/migrate: create failed: apply command failed \(exit 3\): bad token \(sensitive\)/,
    );
    assertNoSecret('apply', r);
    const json1 = s.run(['apply', '-f', 'm', '--yes', '--json'], { env });
    assert.equal(json1.code, 1);
    assert.match(json1.stdout, /bad token \(sensitive\)/);
    assertNoSecret('apply --json', json1);
    const failed = json<AuditEntry[]>(
      s.run(['audit', '--action', 'apply.create', '--resource', 'Exec/migrate', '--json']),
    );
    assert.equal(failed.length, 2);
    for (const e of failed) {
      assert.equal(e.result, 'failed');
      assert.match(String((e.detail as { message?: string }).message), /bad token \(sensitive\)/);
    }
    assertNoSecret('status', s.run(['status', '--json']));
    s.run(['audit', 'export', '-o', s.path('audit.jsonl')]);
    for (const [path, bytes] of keptFiles(s)) assertNotIn(relative(s.dir, path), bytes);
  });

  test('a secret command that fails after printing the value: the refusal names the command, never its output', () => {
    const s = sandbox();
    project(s);
    s.write({
      'bin/vault.sh': `#!/bin/sh\nprintf '%s\\n' "$SP_VAULT_DATA"\necho "denied: $SP_VAULT_DATA" >&2\nexit 4\n`,
    });
    // apply refuses (exit 1); plan shows the resource as unknown with a warning naming the command (exit 0).
    for (const [args, code] of [
      [['apply', '-f', 'm', '--yes'], 1],
      [['apply', '-f', 'm', '--yes', '--json'], 1],
      [['plan', '-f', 'm'], 0],
    ] as const) {
      const r = s.run([...args], { env });
      assert.equal(r.code, code, args.join(' '));
      assert.match(r.stdout + r.stderr, /secret command \S+vault\.sh failed \(exit status 4\)/);
      // The value was never registered (the command failed), so nothing could scrub it: it must not be there at all.
      assertNoSecret(args.join(' '), r);
    }
    const [refusal] = json<AuditEntry[]>(s.run(['audit', '--action', 'apply.refuse', '--json']));
    assert.ok(refusal, 'the refused apply is audited');
    assert.match(JSON.stringify(refusal.detail), /exit status 4/);
    s.run(['audit', 'export', '-o', s.path('audit.jsonl')]);
    assert.equal(existsSync(s.path('out', 'db-password')), false, 'nothing was applied');
    for (const [path, bytes] of keptFiles(s)) assertNotIn(relative(s.dir, path), bytes);
  });
});
