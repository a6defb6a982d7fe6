/**
 * Drift end to end: a managed file edited, re-moded or removed by hand is
 * reported by `setpoint drift` (exit 2, with the diff), recorded in the state,
 * and `apply` repairs exactly what drifted.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { json, sandbox, stamps, type Sandbox } from './helpers.js';

function applied(): Sandbox {
  const s = sandbox();
  const out = s.path('out');
  s.write({
    'm/files.yaml': `kind: Directory
metadata: { name: out }
spec: { path: ${out} }
---
kind: File
metadata: { name: a }
spec: { path: ${out}/a.txt, content: "one\\ntwo\\nthree\\n", mode: "0644" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: b }
spec: { path: ${out}/b.txt, content: "bee\\n", mode: "0644" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: c }
spec: { path: ${out}/c.txt, content: "sea\\n", mode: "0644" }
dependsOn: [Directory/out]
`,
  });
  const r = s.run(['apply', '-f', 'm', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  return s;
}

interface DriftJson {
  drifted: boolean;
  inSync: number;
  items: Array<{
    id: string;
    state: string;
    changes: Array<{ path: string; old?: string; new?: string; diff?: string }>;
  }>;
}

describe('drift', () => {
  test('right after apply: drift exits 0 and reports everything in sync', () => {
    const s = applied();
    const r = s.run(['drift', '-f', 'm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Drift: 0 drifted, 0 missing, 0 not applied yet, 4 in sync\./);
  });

  test('a file edited by hand: drift exits 2 with the old and new lines; apply repairs only that file', () => {
    const s = applied();
    const out = s.path('out');
    writeFileSync(`${out}/a.txt`, 'one\nTWO\nthree\n');
    // The folder's own mtime changes (the atomic write renames into it); the other files must not.
    const untouched = stamps([`${out}/b.txt`, `${out}/c.txt`]);

    const drift = s.run(['drift', '-f', 'm']);
    assert.equal(drift.code, 2, drift.stderr);
    assert.match(drift.stdout, /~ File\/default\/a {2}\(changed outside setpoint\)/);
    assert.match(drift.stdout, /~ spec\.content:/);
    assert.match(drift.stdout, /^\s+-TWO$/m);
    assert.match(drift.stdout, /^\s+\+two$/m);
    assert.match(drift.stdout, /^\s+ one$/m, 'context lines are shown');
    assert.doesNotMatch(drift.stdout, /File\/default\/[bc]/);
    assert.match(drift.stdout, /Drift: 1 drifted, 0 missing, 0 not applied yet, 3 in sync\./);

    const data = json<DriftJson>(s.run(['drift', '-f', 'm', '--json']));
    assert.equal(data.drifted, true);
    assert.equal(data.inSync, 3);
    assert.equal(data.items.length, 1);
    assert.equal(data.items[0].id, 'File/default/a');
    assert.equal(data.items[0].state, 'Drifted');
    assert.match(data.items[0].changes[0].diff ?? '', /-TWO\n\+two/);

    const status = s.run(['status']);
    assert.match(status.stdout, /^File\/default\/a\s+Drifted\s/m);
    assert.match(status.stdout, /^File\/default\/b\s+InSync\s/m);

    const repair = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(repair.code, 0, repair.stderr);
    assert.match(repair.stdout, /^~ File\/default\/a: /m);
    assert.match(
      repair.stdout,
      /changed: 1 \(created 0, updated 1, replaced 0, deleted 0\), failed: 0, skipped: 0, in sync: 3/,
    );
    assert.equal(readFileSync(`${out}/a.txt`, 'utf8'), 'one\ntwo\nthree\n');
    assert.deepEqual(stamps([`${out}/b.txt`, `${out}/c.txt`]), untouched);

    const after = s.run(['drift', '-f', 'm']);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(s.run(['status']).stdout, /^File\/default\/a\s+InSync\s/m);
  });

  test('a mode changed by hand is reported old -> new and fixed in place (content not rewritten)', () => {
    const s = applied();
    const out = s.path('out');
    chmodSync(`${out}/b.txt`, 0o600);
    const { ino, mtimeMs } = statSync(`${out}/b.txt`);

    const drift = s.run(['drift', '-f', 'm']);
    assert.equal(drift.code, 2);
    assert.match(drift.stdout, /~ File\/default\/b/);
    assert.match(drift.stdout, /~ spec\.mode: 0600 -> 0644/);

    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    const st = statSync(`${out}/b.txt`);
    assert.equal(st.mode & 0o777, 0o644);
    assert.equal(st.ino, ino);
    assert.equal(st.mtimeMs, mtimeMs);
  });

  test('a managed file deleted by hand is reported missing and recreated', () => {
    const s = applied();
    const out = s.path('out');
    rmSync(`${out}/c.txt`);

    const drift = s.run(['drift', '-f', 'm']);
    assert.equal(drift.code, 2);
    assert.match(drift.stdout, /~ File\/default\/c {2}\(applied, now missing\)/);
    assert.match(drift.stdout, /Drift: 0 drifted, 1 missing, 0 not applied yet, 3 in sync\./);

    const repair = s.run(['apply', '-f', 'm', '--yes']);
    assert.match(repair.stdout, /^\+ File\/default\/c: created/m);
    assert.equal(readFileSync(`${out}/c.txt`, 'utf8'), 'sea\n');
    assert.equal(s.run(['drift', '-f', 'm']).code, 0);
  });

  test('resources never applied are reported as not applied yet (exit 2)', () => {
    const s = sandbox();
    s.write({
      'm/one.yaml': `kind: File\nmetadata: { name: new }\nspec: { path: ${s.path('new.txt')}, content: "x" }\n`,
    });
    const r = s.run(['drift', '-f', 'm']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /~ File\/default\/new {2}\(not applied yet\)/);
    assert.match(r.stdout, /Drift: 0 drifted, 0 missing, 1 not applied yet, 0 in sync\./);
  });
});
