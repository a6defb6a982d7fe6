/**
 * `setpoint plan` end to end: the readable diff (`+ ~ -` glyphs, old -> new,
 * the summary line), `--json`, `--detailed-exitcode` and `--target`. A plan
 * never touches a target.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { json, sandbox, type Sandbox } from './helpers.js';

interface PlanJson {
  revision: string;
  changes: boolean;
  summary: { create: number; update: number; replace: number; delete: number; noop: number };
  actions: Array<{
    id: string;
    kind: string;
    op: string;
    reason: string;
    destructive: boolean;
    changes: Array<{ path: string; old?: unknown; new?: unknown; diff?: string }>;
  }>;
  orphans: string[];
  diagnostics: unknown[];
}

/** Directory/out <- File/a, File/b; File/solo is independent. */
function manifests(s: Sandbox, extra = ''): void {
  const out = s.path('out');
  s.write({
    'm/all.yaml': `kind: Directory
metadata: { name: out }
spec: { path: ${out}, mode: "0755" }
---
kind: File
metadata: { name: a }
spec: { path: ${out}/a.txt, content: "alpha\\n", mode: "0644" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: b }
spec: { path: ${out}/b.txt, content: "beta\\n" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: solo }
spec: { path: ${s.path('solo.txt')}, content: "solo\\n" }
${extra}`,
  });
}

describe('plan', () => {
  test('shows + for each resource to create, with its fields, and the summary line; touches nothing', () => {
    const s = sandbox();
    manifests(s);
    const r = s.run(['plan', '-f', 'm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}\+ Directory\/default\/out {2}\(does not exist\)$/m);
    assert.match(r.stdout, /^ {2}\+ File\/default\/a /m);
    assert.match(r.stdout, /^ {6}\+ spec\.mode: 0644$/m);
    assert.match(r.stdout, /^ {10}\+alpha$/m, 'the new content is shown line by line');
    assert.match(r.stdout, /^Plan: 4 to create, 0 to update, 0 to delete\.$/m);
    assert.equal(existsSync(s.path('out')), false);
    assert.equal(existsSync(s.path('solo.txt')), false);
  });

  test('shows ~ with old -> new per field for changes and - for prunes', () => {
    const s = sandbox();
    manifests(s);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    // Change a's content and mode in the manifest, drop solo.
    const out = s.path('out');
    s.write({
      'm/all.yaml': `kind: Directory
metadata: { name: out }
spec: { path: ${out}, mode: "0755" }
---
kind: File
metadata: { name: a }
spec: { path: ${out}/a.txt, content: "alpha\\nmore\\n", mode: "0600" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: b }
spec: { path: ${out}/b.txt, content: "beta\\n" }
dependsOn: [Directory/out]
`,
    });
    const r = s.run(['plan', '-f', 'm', '--prune']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}~ File\/default\/a /m);
    assert.match(r.stdout, /^ {6}~ spec\.mode: 0644 -> 0600$/m);
    assert.match(r.stdout, /^ {10}\+more$/m);
    assert.match(r.stdout, /^ {2}- File\/default\/solo /m);
    assert.doesNotMatch(r.stdout, /File\/default\/b/, 'unchanged resources are not listed');
    assert.match(r.stdout, /^Plan: 0 to create, 1 to update, 1 to delete\.$/m);
  });

  test('with nothing to do it says so', () => {
    const s = sandbox();
    manifests(s);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    const r = s.run(['plan', '-f', 'm']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /No changes: the actual state matches the desired state \(4 resources\)\./);
    assert.doesNotMatch(r.stdout, /^Plan:/m);
  });

  test('--json carries the same content as data', () => {
    const s = sandbox();
    manifests(s);
    const plan = json<PlanJson>(s.run(['plan', '-f', 'm', '--json']));
    assert.equal(plan.changes, true);
    assert.deepEqual(plan.summary, { create: 4, update: 0, replace: 0, delete: 0, noop: 0 });
    assert.match(plan.revision, /^[0-9a-f]{16}$/);
    assert.deepEqual(plan.diagnostics, []);
    const a = plan.actions.find((x) => x.id === 'File/default/a');
    assert.ok(a, 'File/default/a is planned');
    assert.equal(a.op, 'create');
    assert.equal(a.kind, 'File');
    assert.deepEqual(
      a.changes.map((c) => c.path),
      ['spec.path', 'spec.content', 'spec.mode'],
    );
    assert.equal(a.changes.find((c) => c.path === 'spec.mode')?.new, '0644');
    assert.match(a.changes.find((c) => c.path === 'spec.content')?.diff ?? '', /\+alpha/);

    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    writeFileSync(s.path('out', 'b.txt'), 'changed\n');
    const after = json<PlanJson>(s.run(['plan', '-f', 'm', '--json']));
    assert.equal(after.changes, true);
    assert.deepEqual(after.summary, { create: 0, update: 1, replace: 0, delete: 0, noop: 3 });
    assert.deepEqual(
      after.actions.filter((x) => x.op !== 'noop').map((x) => `${x.op} ${x.id}`),
      ['update File/default/b'],
    );
  });

  test('--detailed-exitcode: 2 with changes, 0 without, 1 on error', () => {
    const s = sandbox();
    manifests(s);
    assert.equal(s.run(['plan', '-f', 'm']).code, 0, 'without the flag, changes still exit 0');
    assert.equal(s.run(['plan', '-f', 'm', '--detailed-exitcode']).code, 2);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    assert.equal(s.run(['plan', '-f', 'm', '--detailed-exitcode']).code, 0);
    s.write({ 'm/broken.yaml': 'kind: File\nmetadata: { name: x }\nspec: { path: relative/path }\n' });
    const broken = s.run(['plan', '-f', 'm', '--detailed-exitcode']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.yaml:3:\d+: File\/default\/x: spec\.path: must be an absolute path/);
  });

  test('--target ID limits the plan and the apply to that resource and what it depends on', () => {
    const s = sandbox();
    manifests(s);
    const plan = s.run(['plan', '-f', 'm', '--target', 'File/a']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /\+ Directory\/default\/out /);
    assert.match(plan.stdout, /\+ File\/default\/a /);
    assert.doesNotMatch(plan.stdout, /File\/default\/b|File\/default\/solo/);
    assert.match(plan.stdout, /^Plan: 2 to create, 0 to update, 0 to delete\.$/m);

    const data = json<PlanJson>(
      s.run(['plan', '-f', 'm', '--target', 'File/default/a', '--target', 'File/solo', '--json']),
    );
    assert.deepEqual(data.actions.map((a) => a.id).sort(), [
      'Directory/default/out',
      'File/default/a',
      'File/default/solo',
    ]);

    const apply = s.run(['apply', '-f', 'm', '--yes', '--target', 'File/a']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.ok(existsSync(s.path('out', 'a.txt')));
    assert.equal(existsSync(s.path('out', 'b.txt')), false);
    assert.equal(existsSync(s.path('solo.txt')), false);
    assert.match(apply.stdout, /changed: 2 /);
  });

  test('--target naming an undeclared id is an error', () => {
    const s = sandbox();
    manifests(s);
    const r = s.run(['plan', '-f', 'm', '--target', 'File/nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--target File\/default\/nope: no such resource in the manifests/);
  });
});
