/**
 * Prune and lifecycle end to end: a resource that leaves the manifests is
 * kept unless pruning is on (`--prune` or `lifecycle.prune`);
 * `lifecycle.preventDestroy` refuses the plan; `lifecycle.ignoreChanges`
 * leaves the named fields alone.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { json, sandbox, type Sandbox } from './helpers.js';

function file(s: Sandbox, name: string, extra = ''): string {
  return `kind: File\nmetadata:\n  name: ${name}\nspec:\n  path: ${s.path(`${name}.txt`)}\n  content: "${name}\\n"\n  mode: "0644"\n${extra}`;
}

/** Applies keep + gone, then removes gone from the manifests. */
function removed(s: Sandbox, goneExtra = ''): void {
  s.write({ 'm/keep.yaml': file(s, 'keep'), 'm/gone.yaml': file(s, 'gone', goneExtra) });
  const r = s.run(['apply', '-f', 'm', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(s.path('gone.txt')));
  s.write({ 'm/gone.yaml': '# removed\n' });
}

describe('prune', () => {
  test('a resource removed from the manifests is kept by default, and the plan says so', () => {
    const s = sandbox();
    removed(s);
    const plan = s.run(['plan', '-f', 'm']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stdout,
      /1 resource is no longer declared and kept \(pruning is off\): File\/default\/gone/,
    );
    assert.match(plan.stdout, /pass --prune or set lifecycle\.prune to delete them/);
    assert.deepEqual(json<{ orphans: string[] }>(s.run(['plan', '-f', 'm', '--json'])).orphans, [
      'File/default/gone',
    ]);

    const apply = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /changed: 0 /);
    assert.equal(readFileSync(s.path('gone.txt'), 'utf8'), 'gone\n');
  });

  test('--prune plans the delete with - and apply --prune removes the file and forgets the resource', () => {
    const s = sandbox();
    removed(s);
    const plan = s.run(['plan', '-f', 'm', '--prune']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stdout,
      /^ {2}- File\/default\/gone {2}\(no longer declared \(prune\), destructive\)$/m,
    );
    assert.match(plan.stdout, /^Plan: 0 to create, 0 to update, 1 to delete\.$/m);
    assert.ok(existsSync(s.path('gone.txt')), 'plan deletes nothing');

    const apply = s.run(['apply', '-f', 'm', '--yes', '--prune']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /^- File\/default\/gone: /m);
    assert.match(apply.stdout, /changed: 1 \(created 0, updated 0, replaced 0, deleted 1\)/);
    assert.equal(existsSync(s.path('gone.txt')), false);
    assert.ok(existsSync(s.path('keep.txt')));

    const ids = json<{ resources: Array<{ id: string }> }>(s.run(['status', '--json'])).resources.map(
      (r) => r.id,
    );
    assert.deepEqual(ids, ['File/default/keep']);
    assert.match(s.run(['plan', '-f', 'm', '--prune']).stdout, /No changes/);
  });

  test('lifecycle.prune: true deletes the removed resource without --prune', () => {
    const s = sandbox();
    removed(s, 'lifecycle:\n  prune: true\n');
    const plan = s.run(['plan', '-f', 'm']);
    assert.match(plan.stdout, /- File\/default\/gone /);
    const apply = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(existsSync(s.path('gone.txt')), false);
    assert.ok(existsSync(s.path('keep.txt')));
  });

  test('lifecycle.preventDestroy refuses a plan that would prune it, naming the resource and the field', () => {
    const s = sandbox();
    removed(s, 'lifecycle:\n  preventDestroy: true\n');
    for (const args of [
      ['plan', '-f', 'm', '--prune'],
      ['apply', '-f', 'm', '--yes', '--prune'],
    ]) {
      const r = s.run(args);
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        /File\/default\/gone: lifecycle\.preventDestroy: the plan would delete File\/default\/gone, which has lifecycle\.preventDestroy set/,
      );
      assert.match(r.stderr, /hint: remove preventDestroy first/);
    }
    assert.equal(readFileSync(s.path('gone.txt'), 'utf8'), 'gone\n');
  });

  test('lifecycle.preventDestroy refuses ensure: absent on a declared resource', () => {
    const s = sandbox();
    s.write({ 'm/keep.yaml': file(s, 'keep', 'lifecycle:\n  preventDestroy: true\n') });
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    s.write({
      'm/keep.yaml': `kind: File\nmetadata:\n  name: keep\nspec:\n  path: ${s.path('keep.txt')}\n  ensure: absent\nlifecycle:\n  preventDestroy: true\n`,
    });
    const r = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /keep\.yaml:1:1: File\/default\/keep: lifecycle\.preventDestroy: the plan would delete/,
    );
    assert.ok(existsSync(s.path('keep.txt')));
  });

  test('lifecycle.ignoreChanges: [spec.mode] leaves a hand-changed mode alone but still repairs content', () => {
    const s = sandbox();
    s.write({ 'm/keep.yaml': file(s, 'keep', 'lifecycle:\n  ignoreChanges: [spec.mode]\n') });
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    chmodSync(s.path('keep.txt'), 0o600);

    const drift = s.run(['drift', '-f', 'm']);
    assert.equal(drift.code, 0, drift.stdout);
    assert.match(s.run(['plan', '-f', 'm']).stdout, /No changes/);
    const apply = s.run(['apply', '-f', 'm', '--yes']);
    assert.match(apply.stdout, /changed: 0 /);
    assert.equal(statSync(s.path('keep.txt')).mode & 0o777, 0o600);

    writeFileSync(s.path('keep.txt'), 'edited\n');
    const drifted = s.run(['drift', '-f', 'm']);
    assert.equal(drifted.code, 2);
    assert.match(drifted.stdout, /~ spec\.content:/);
    assert.doesNotMatch(drifted.stdout, /spec\.mode/);
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    assert.equal(readFileSync(s.path('keep.txt'), 'utf8'), 'keep\n');
    assert.equal(statSync(s.path('keep.txt')).mode & 0o777, 0o600, 'the rewrite keeps the ignored mode');
  });
});
