/**
 * `setpoint apply` end to end: a folder, files (inline and from a source
 * file), a symlink and commands are created in dependsOn order; a second
 * apply changes nothing and writes nothing.
 */
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { json, sandbox, stamps, type Sandbox } from './helpers.js';

interface ApplyReport {
  changed: number;
  result: string;
  counts: Record<string, number>;
  outcomes: Array<{ action: { id: string; op: string }; status: string }>;
}

/** Directory <- File (inline), File (source) <- Symlink; an Exec chain A <- B <- C logging its order. */
function project(s: Sandbox): void {
  const out = s.path('out');
  s.write({
    'files/app.conf': 'workers = 4\n',
    'm/fs.yaml': `kind: Directory
metadata: { name: out }
spec: { path: ${out}, mode: "0750" }
---
kind: File
metadata: { name: motd }
spec:
  path: ${out}/motd
  content: "hello\\nworld\\n"
  mode: "0640"
dependsOn: [Directory/out]
---
kind: File
metadata: { name: conf }
spec:
  path: ${out}/app.conf
  source: ../files/app.conf
dependsOn: [Directory/out]
---
kind: Symlink
metadata: { name: current }
spec: { path: ${out}/current.conf, target: app.conf }
dependsOn: [File/conf]
`,
    'm/exec.yaml': `kind: Exec
metadata: { name: a }
spec:
  check: grep -qx a ${out}/order.log
  apply: cat ${out}/motd > ${out}/copy && echo a >> ${out}/order.log
dependsOn: [File/motd]
---
kind: Exec
metadata: { name: b }
spec:
  check: grep -qx b ${out}/order.log
  apply: echo b >> ${out}/order.log
dependsOn: [Exec/a]
---
kind: Exec
metadata: { name: c }
spec:
  check: grep -qx c ${out}/order.log
  apply: echo c >> ${out}/order.log
dependsOn: [Exec/b]
`,
  });
}

describe('apply', () => {
  test('creates a folder, files, a symlink and runs commands, in dependsOn order', () => {
    const s = sandbox();
    project(s);
    const r = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(r.code, 0, r.stderr);

    const out = s.path('out');
    assert.ok(statSync(out).isDirectory());
    assert.equal(statSync(out).mode & 0o777, 0o750);
    assert.equal(readFileSync(`${out}/motd`, 'utf8'), 'hello\nworld\n');
    assert.equal(statSync(`${out}/motd`).mode & 0o777, 0o640);
    assert.equal(readFileSync(`${out}/app.conf`, 'utf8'), 'workers = 4\n');
    assert.equal(statSync(`${out}/app.conf`).mode & 0o777, 0o644, 'a File without mode is created 0644');
    assert.ok(lstatSync(`${out}/current.conf`).isSymbolicLink());
    assert.equal(readlinkSync(`${out}/current.conf`), 'app.conf');
    // Exec/a ran after File/motd existed, and the chain ran in order.
    assert.equal(readFileSync(`${out}/copy`, 'utf8'), 'hello\nworld\n');
    assert.equal(readFileSync(`${out}/order.log`, 'utf8'), 'a\nb\nc\n');

    for (const id of [
      'Directory/default/out',
      'File/default/motd',
      'File/default/conf',
      'Symlink/default/current',
      'Exec/default/a',
    ])
      assert.match(r.stdout, new RegExp(`^\\+ ${id}: created`, 'm'));
    assert.match(
      r.stdout,
      /Apply complete\. changed: 7 \(created 7, updated 0, replaced 0, deleted 0\), failed: 0, skipped: 0, in sync: 0/,
    );
    // Plain lines (no terminal): every action reported in dependency order.
    const lines = r.stdout.split('\n');
    const at = (id: string) => lines.findIndex((l) => l.includes(` ${id}:`));
    assert.ok(at('Directory/default/out') < at('File/default/motd'));
    assert.ok(at('File/default/conf') < at('Symlink/default/current'));
    assert.ok(at('Exec/default/a') < at('Exec/default/b') && at('Exec/default/b') < at('Exec/default/c'));
  });

  test('a second apply reports changed: 0 and writes nothing (inodes and mtimes unchanged)', () => {
    const s = sandbox();
    project(s);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    const out = s.path('out');
    const managed = ['', '/motd', '/app.conf', '/current.conf', '/copy', '/order.log'].map((p) => out + p);
    const before = stamps(managed);

    const again = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /changed: 0 \(created 0, updated 0, replaced 0, deleted 0\), failed: 0, skipped: 0, in sync: 7/,
    );
    assert.doesNotMatch(again.stdout, /^[+~±-] /m, 'no action lines');
    assert.deepEqual(stamps(managed), before);
    assert.equal(readFileSync(`${out}/order.log`, 'utf8'), 'a\nb\nc\n', 'no command ran again');

    const third = json<ApplyReport>(s.run(['apply', '-f', 'm', '--yes', '--json']));
    assert.equal(third.changed, 0);
    assert.equal(third.result, 'succeeded');
    assert.equal(third.counts.unchanged, 7);
    assert.deepEqual(third.outcomes, []);
    assert.deepEqual(stamps(managed), before);
  });

  test('apply --json reports every action with its outcome', () => {
    const s = sandbox();
    project(s);
    const r = s.run(['apply', '-f', 'm', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = json<ApplyReport>(r);
    assert.equal(report.result, 'succeeded');
    assert.equal(report.changed, 7);
    assert.equal(report.counts.created, 7);
    assert.deepEqual(report.outcomes.map((o) => `${o.action.id} ${o.action.op} ${o.status}`).sort(), [
      'Directory/default/out create succeeded',
      'Exec/default/a create succeeded',
      'Exec/default/b create succeeded',
      'Exec/default/c create succeeded',
      'File/default/conf create succeeded',
      'File/default/motd create succeeded',
      'Symlink/default/current create succeeded',
    ]);
  });

  test('a manifest change updates only that file, in place of the old content', () => {
    const s = sandbox();
    project(s);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    const out = s.path('out');
    const others = stamps([`${out}/motd`, `${out}/current.conf`]);
    s.write({ 'files/app.conf': 'workers = 8\n' });

    const r = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^~ File\/default\/conf: /m);
    assert.match(r.stdout, /changed: 1 \(created 0, updated 1,/);
    assert.equal(readFileSync(`${out}/app.conf`, 'utf8'), 'workers = 8\n');
    assert.deepEqual(stamps([`${out}/motd`, `${out}/current.conf`]), others);
  });
});
