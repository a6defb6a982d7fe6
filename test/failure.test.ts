/**
 * Failures during apply end to end: a failed resource stops its dependents,
 * an independent branch goes on, apply exits 1, the state records who failed
 * and who waits, and the next apply picks up where it stopped.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { json, sandbox, type Sandbox } from './helpers.js';

interface Status {
  resources: Array<{ id: string; sync: string; lastError?: string }>;
}

/** Exec/setup (fails until `fixed` exists) <- File/after <- File/after2; File/other is independent. */
function project(s: Sandbox): void {
  s.write({
    'm/all.yaml': `kind: Exec
metadata: { name: setup }
spec:
  check: test -f ${s.path('setup-done')}
  apply: test -f ${s.path('fixed')} && touch ${s.path('setup-done')} || { echo "setup is broken" >&2; exit 3; }
---
kind: File
metadata: { name: after }
spec: { path: ${s.path('after.txt')}, content: "after\\n" }
dependsOn: [Exec/setup]
---
kind: File
metadata: { name: after2 }
spec: { path: ${s.path('after2.txt')}, content: "after2\\n" }
dependsOn: [File/after]
---
kind: File
metadata: { name: other }
spec: { path: ${s.path('other.txt')}, content: "other\\n" }
`,
  });
}

describe('failures', () => {
  test('a failed resource stops its dependents while an independent branch goes on; apply exits 1', () => {
    const s = sandbox();
    project(s);
    const r = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^✗ Exec\/default\/setup: create failed: apply command failed \(exit 3\): setup is broken/m,
    );
    assert.match(r.stdout, /^· File\/default\/after: skipped: Exec\/default\/setup failed$/m);
    assert.match(r.stdout, /^· File\/default\/after2: skipped: /m);
    assert.match(r.stdout, /^\+ File\/default\/other: created/m);
    assert.match(
      r.stdout,
      /Apply finished with errors\. changed: 1 \(created 1, updated 0, replaced 0, deleted 0\), failed: 1, skipped: 2, in sync: 0/,
    );
    assert.equal(existsSync(s.path('after.txt')), false);
    assert.equal(existsSync(s.path('after2.txt')), false);
    assert.equal(readFileSync(s.path('other.txt'), 'utf8'), 'other\n');

    const status = json<Status>(s.run(['status', '--json']));
    const byId = new Map(status.resources.map((x) => [x.id, x]));
    assert.equal(byId.get('Exec/default/setup')?.sync, 'Failed');
    assert.match(byId.get('Exec/default/setup')?.lastError ?? '', /apply command failed \(exit 3\)/);
    assert.equal(byId.get('File/default/after')?.sync, 'Pending');
    assert.equal(byId.get('File/default/other')?.sync, 'InSync');
    assert.match(s.run(['status']).stdout, /^Exec\/default\/setup\s+Failed\s+.*apply command failed/m);

    const history = json<{ runs: Array<{ result: string; summary: Record<string, number> }> }>(
      s.run(['history', '--json']),
    );
    assert.equal(history.runs[0].result, 'partial');
    assert.equal(history.runs[0].summary.failed, 1);
    assert.equal(history.runs[0].summary.skipped, 2);

    const events = json<Array<{ resourceId?: string; type: string; reason: string; message: string }>>(
      s.run(['events', 'Exec/setup', '--json']),
    );
    assert.ok(
      events.every((e) => e.resourceId === 'Exec/default/setup'),
      'events ID lists only that resource',
    );
    const failed = events.find((e) => e.reason === 'ApplyFailed');
    assert.equal(failed?.type, 'Warning');
    assert.match(failed?.message ?? '', /create failed: apply command failed \(exit 3\): setup is broken/);
    assert.ok(
      events.some((e) => e.reason === 'CommandOutput' && e.message === 'apply: setup is broken'),
      'the command output is an event',
    );
  });

  test('after the cause is fixed, the next apply converges what was stopped and leaves the rest alone', () => {
    const s = sandbox();
    project(s);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 1);
    s.write({ fixed: '' });
    const r = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /changed: 3 \(created 3, updated 0, replaced 0, deleted 0\), failed: 0, skipped: 0, in sync: 1/,
    );
    assert.equal(readFileSync(s.path('after2.txt'), 'utf8'), 'after2\n');
    assert.equal(s.run(['drift', '-f', 'm']).code, 0);
  });

  test('--json reports failed and skipped outcomes with their reasons', () => {
    const s = sandbox();
    project(s);
    const r = s.run(['apply', '-f', 'm', '--yes', '--json']);
    assert.equal(r.code, 1);
    const report = json<{
      result: string;
      outcomes: Array<{ action: { id: string }; status: string; message: string }>;
    }>(r);
    assert.equal(report.result, 'partial');
    const by = new Map(report.outcomes.map((o) => [o.action.id, o]));
    assert.equal(by.get('Exec/default/setup')?.status, 'failed');
    assert.equal(by.get('File/default/after')?.status, 'skipped');
    assert.equal(by.get('File/default/after2')?.status, 'skipped');
    assert.equal(by.get('File/default/other')?.status, 'succeeded');
  });
});
