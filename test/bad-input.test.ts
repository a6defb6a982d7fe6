/**
 * Bad input end to end: every kind of broken manifest gets a clear error
 * naming file:line:col, the resource id and the field; validate, plan and
 * apply all exit 1; and nothing changes on disk or in the state.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { json, sandbox, type CliResult, type Sandbox } from './helpers.js';
import { readState } from './state-reader.js';

/** A valid resource next to the broken ones: it must not be applied either. */
function good(s: Sandbox): string {
  return `kind: File
metadata:
  name: good
spec:
  path: ${s.path('out', 'good.txt')}
  content: "fine\\n"
`;
}

/**
 * Runs validate and apply (the CLI) on the sandbox's manifests (folder m/),
 * and plan too with `withPlan`, and checks that each fails with every
 * expected message, and that neither the target folder nor the state changed
 * (the state read in this process, as `status`, `history` and `events` read
 * it). apply plans first, through the same loading and diagnostics as plan,
 * so plan runs only in the cases that stand for the others (each CLI start
 * costs about half a second of CPU).
 */
async function rejects(
  s: Sandbox,
  expected: RegExp[],
  errors?: number,
  options: { targetCheck?: boolean; withPlan?: boolean } = {},
): Promise<string> {
  mkdirSync(s.path('out'), { recursive: true });
  const validate = s.run(['validate', '-f', 'm']);
  const plan = options.withPlan || options.targetCheck ? s.run(['plan', '-f', 'm']) : undefined;
  const apply = s.run(['apply', '-f', 'm', '--yes']);
  const checked: Record<string, CliResult> = {
    ...(options.targetCheck ? {} : { validate }),
    ...(plan ? { plan } : {}),
    apply,
  };
  // validate is for CI: it never looks at targets, so it cannot see an unwritable target path.
  if (options.targetCheck) assert.equal(validate.code, 0, validate.stderr);
  for (const [name, r] of Object.entries(checked)) {
    assert.equal(r.code, 1, `${name} exits 1\n${r.stdout}\n${r.stderr}`);
    for (const re of expected) assert.match(r.stderr, re, `${name} says ${re}`);
    if (errors !== undefined)
      assert.match(r.stderr, new RegExp(`^${errors} errors?$`, 'm'), `${name} counts ${errors} error(s)`);
  }
  assert.match(apply.stderr, /nothing was applied/);
  assert.doesNotMatch(apply.stdout, /^Plan:/m);
  if (plan) assert.doesNotMatch(plan.stdout, /^Plan:/m);

  assert.deepEqual(readdirSync(s.path('out')), [], 'no target was written');
  await readState({ cwd: s.dir, state: s.state }, async (api) => {
    assert.deepEqual((await api.status()).resources, [], 'no resource in the state');
    assert.deepEqual((await api.history()).runs, [], 'no run in the state');
    assert.deepEqual(await api.events(), [], 'no event in the state');
  });
  return apply.stderr;
}

describe('bad input', () => {
  test('malformed YAML: the syntax error with its position and the offending line', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': 'kind: File\nmetadata:\n  name: broken\nspec: { path: /tmp/x\n  content: [\n',
    });
    const err = await rejects(
      s,
      [/bad\.yaml:\d+:\d+: YAML syntax error: /, /^\s+\d+ \| metadata:$/m, /hint: fix the YAML syntax/],
      undefined,
      { withPlan: true },
    );
    assert.match(err, /^1 error$/m);
  });

  test('unknown kind: names the kind field and suggests the nearest kind', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: Filez\nmetadata:\n  name: x\nspec:\n  path: ${s.path('out', 'x')}\n`,
    });
    await rejects(
      s,
      [
        /bad\.yaml:1:7: Filez\/default\/x: kind: unknown kind "Filez"/,
        /expected one of (.*, )?Directory, Exec, File, (.*, )?Symlink/,
        /did you mean "File"\?/,
      ],
      1,
    );
  });

  test('unknown field: named with its path and the allowed fields', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: Directory\nmetadata:\n  name: d\nspec:\n  path: ${s.path('out', 'd')}\n  colour: red\n`,
    });
    await rejects(
      s,
      [
        /bad\.yaml:6:\d+: Directory\/default\/d: spec\.colour: unknown field "colour"/,
        /allowed fields here: path, ensure, mode/,
      ],
      1,
    );
  });

  test('unknown top-level field (a typo of dependsOn) is an error, not dropped', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\ndependOn: [File/good]\n`,
    });
    await rejects(s, [/bad\.yaml:6:\d+: File\/default\/f: dependOn: unknown field "dependOn"/], 1);
  });

  test('wrong type: what was expected and what was found', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': 'kind: File\nmetadata:\n  name: y\nspec:\n  path: 12\n',
    });
    await rejects(
      s,
      [/bad\.yaml:5:9: File\/default\/y: spec\.path: wrong type/, /expected string, found 12 \(number\)/],
      1,
    );
  });

  test('missing name: metadata.name is required', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  labels: { a: b }\nspec:\n  path: ${s.path('out', 'z')}\n`,
    });
    await rejects(
      s,
      [/bad\.yaml:2:1: .*metadata\.name: required field is missing/, /expected string, found nothing/],
      1,
    );
  });

  test('duplicate id: both locations are named', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/one.yaml': `kind: File\nmetadata:\n  name: dup\nspec:\n  path: ${s.path('out', 'd1')}\n`,
      'm/two.yaml': `# the same id again\nkind: File\nmetadata:\n  name: dup\n  namespace: default\nspec:\n  path: ${s.path('out', 'd2')}\n`,
    });
    await rejects(
      s,
      [
        /two\.yaml:2:1: File\/default\/dup: metadata\.name: duplicate resource id File\/default\/dup/,
        /first declared at \S*one\.yaml:1:1/,
      ],
      1,
    );
  });

  test('dependency cycle: every member is named with its location', async () => {
    const s = sandbox();
    const doc = (name: string, dep: string) =>
      `kind: File\nmetadata:\n  name: ${name}\nspec:\n  path: ${s.path('out', name)}\ndependsOn: [${dep}]\n`;
    s.write({
      'm/good.yaml': good(s),
      'm/cycle.yaml': [doc('c1', 'File/c2'), doc('c2', 'File/c3'), doc('c3', 'File/c1')].join('---\n'),
    });
    await rejects(
      s,
      [
        /cycle\.yaml:\d+:\d+: File\/default\/c\d: dependsOn: dependency cycle: File\/default\/c1 -> File\/default\/c2 -> File\/default\/c3 -> File\/default\/c1/,
        /File\/default\/c1 declared at \S*cycle\.yaml:1/,
        /File\/default\/c2 declared at \S*cycle\.yaml:8/,
        /File\/default\/c3 declared at \S*cycle\.yaml:15/,
      ],
      1,
    );
  });

  test('dependency on a missing id: the entry is named and a near id suggested', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\ndependsOn:\n  - File/goood\n`,
    });
    await rejects(
      s,
      [
        /bad\.yaml:7:5: File\/default\/f: dependsOn\[0\]: depends on File\/default\/goood, which is not declared/,
        /did you mean File\/default\/good\?/,
      ],
      1,
    );
  });

  test('unreadable source: a missing file is named, relative to the manifest', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  source: files/missing.txt\n`,
    });
    await rejects(
      s,
      [
        /bad\.yaml:6:11: File\/default\/f: spec\.source: .*files\/missing\.txt: no such file/,
        /relative paths start at the manifest's folder/,
      ],
      1,
    );
  });

  test('unreadable source: a folder is not a readable file', async () => {
    const s = sandbox();
    mkdirSync(s.path('m', 'files'), { recursive: true });
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  source: files\n`,
    });
    await rejects(
      s,
      [/bad\.yaml:6:11: File\/default\/f: spec\.source: cannot resolve: cannot read files: /],
      1,
    );
  });

  test('unreadable source: a path outside the project is refused', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  source: ../../../../etc/passwd\n`,
    });
    await rejects(s, [/bad\.yaml:6:11: File\/default\/f: spec\.source: .*is outside the project folder/], 1);
  });

  test('target path that cannot be written: its parent folder is missing and not declared', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'nodir', 'sub', 'f')}\n  content: x\n`,
    });
    await rejects(s, [/bad\.yaml:5:9: File\/default\/f: spec\.path: .*nodir/], 1, { targetCheck: true });
  });

  test('target path that cannot be written: a parent is a file', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('m', 'good.yaml', 'f')}\n  content: x\n`,
    });
    await rejects(s, [/bad\.yaml:5:9: File\/default\/f: spec\.path: .*good\.yaml.* not a folder/], 1, {
      targetCheck: true,
    });
  });

  test('target path that cannot be written: a folder under a file, and a symlink under a missing folder', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: Directory\nmetadata:\n  name: d\nspec:\n  path: ${s.path('m', 'good.yaml', 'd')}\n---\nkind: Symlink\nmetadata:\n  name: l\nspec:\n  path: ${s.path('out', 'none', 'l')}\n  target: /etc/hostname\n`,
    });
    await rejects(
      s,
      [
        /bad\.yaml:5:9: Directory\/default\/d: spec\.path: /,
        /bad\.yaml:11:9: Symlink\/default\/l: spec\.path: .*none/,
      ],
      2,
      { targetCheck: true },
    );
  });

  test('invalid mode string: the expected form is shown', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  mode: "0999"\n`,
    });
    await rejects(
      s,
      [/bad\.yaml:6:9: File\/default\/f: spec\.mode: an octal mode string such as "0644"/, /found "0999"/],
      1,
    );
  });

  test('an unquoted mode (read by YAML as a number) is a wrong type, not a silent 644 decimal', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  mode: 0644\n`,
    });
    await rejects(s, [/bad\.yaml:6:9: File\/default\/f: spec\.mode: /, /expected string/], 1);
  });

  test('several problems in one run are all reported together, in file order', async () => {
    const s = sandbox();
    const out = s.path('out');
    s.write({
      'm/good.yaml': good(s),
      'm/a.yaml': `kind: Directory
metadata:
  name: d
spec:
  path: ${out}/d
  colour: red
---
kind: File
metadata:
  name: y
spec:
  path: 12
  mode: "999"
---
kind: File
metadata:
  name: z
spec:
  path: ${out}/z
dependsOn: [File/nope]
`,
      'm/b.yaml': `kind: Filez\nmetadata:\n  name: q\nspec: {}\n`,
    });
    const err = await rejects(
      s,
      [
        /a\.yaml:6:\d+: Directory\/default\/d: spec\.colour: unknown field/,
        /a\.yaml:12:9: File\/default\/y: spec\.path: wrong type/,
        /a\.yaml:13:9: File\/default\/y: spec\.mode: an octal mode string/,
        /a\.yaml:20:13: File\/default\/z: dependsOn\[0\]: depends on File\/default\/nope/,
        /b\.yaml:1:7: Filez\/default\/q: kind: unknown kind/,
      ],
      5,
      { withPlan: true },
    );
    assert.ok(
      err.indexOf('a.yaml:6:') < err.indexOf('a.yaml:12:9') &&
        err.indexOf('a.yaml:13:9') < err.indexOf('b.yaml:1:7'),
      'sorted by file and line',
    );
  });

  test('problems of the manifests and of what they refer to are reported in the same run', async () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/a.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  source: missing.txt\n---\nkind: File\nmetadata:\n  name: g\nspec:\n  path: ${s.path('out', 'g')}\n  colour: red\n`,
    });
    await rejects(
      s,
      [
        /a\.yaml:6:11: File\/default\/f: spec\.source: /,
        /a\.yaml:13:\d+: File\/default\/g: spec\.colour: unknown field/,
      ],
      2,
      { withPlan: true },
    );
  });

  test('validate --json lists each diagnostic with file, line, column, resource id and field', () => {
    const s = sandbox();
    s.write({
      'm/good.yaml': good(s),
      'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('out', 'f')}\n  mode: "rwx"\n`,
    });
    const r = s.run(['validate', '-f', 'm', '--json']);
    assert.equal(r.code, 1);
    const data = json<{ valid: boolean; diagnostics: Array<Record<string, unknown>> }>(r);
    assert.equal(data.valid, false);
    assert.equal(data.diagnostics.length, 1);
    const d = data.diagnostics[0];
    assert.equal(d.severity, 'error');
    assert.equal(d.code, 'SETPOINT_MANIFEST_INVALID');
    assert.equal(d.file, s.path('m', 'bad.yaml'));
    assert.equal(d.line, 6);
    assert.equal(d.column, 9);
    assert.equal(d.resourceId, 'File/default/f');
    assert.equal(d.field, 'spec.mode');
    assert.equal(d.found, '"rwx"');
  });

  test(
    'a read-only target folder is reported at apply without touching the others (skipped: root can write anywhere)',
    { skip: process.getuid?.() === 0 ? 'tests run as root, which ignores folder permissions' : false },
    () => {
      const s = sandbox();
      mkdirSync(s.path('ro'));
      chmodSync(s.path('ro'), 0o555);
      s.write({
        'm/bad.yaml': `kind: File\nmetadata:\n  name: f\nspec:\n  path: ${s.path('ro', 'f')}\n  content: x\n`,
      });
      const r = s.run(['plan', '-f', 'm']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bad\.yaml:5:9: File\/default\/f: spec\.path: /);
      assert.equal(existsSync(s.path('ro', 'f')), false);
    },
  );
});
