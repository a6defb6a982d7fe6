/**
 * The other commands end to end, as a new user meets them: init, validate,
 * schema, status, get, describe, history, events, and the confirmation that
 * apply asks for.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, cli, json, sandbox, tempDir, type Sandbox } from './helpers.js';

interface ResourceJson {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  sync: string;
  health: string;
  labels: Record<string, string>;
  spec: Record<string, unknown>;
  lastAppliedRevision?: string;
  driftedSince?: string;
}

/** Two namespaces, two kinds, labels; applied once. */
function applied(): Sandbox {
  const s = sandbox();
  s.write({
    'm/all.yaml': `kind: Directory
metadata: { name: out, labels: { team: infra } }
spec: { path: ${s.path('out')} }
---
kind: File
metadata: { name: a, labels: { team: web } }
spec: { path: ${s.path('out', 'a.txt')}, content: "one\\ntwo\\n", mode: "0644" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: b, namespace: web, labels: { team: web } }
spec: { path: ${s.path('out', 'b.txt')}, content: "bee\\n" }
dependsOn: [Directory/default/out]
`,
  });
  const r = s.run(['apply', '-f', 'm', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  return s;
}

describe('init', () => {
  test('scaffolds a project whose plan and apply work with the default state', () => {
    const root = tempDir();
    const init = cli(['init', 'proj'], { cwd: root });
    assert.equal(init.code, 0, init.stderr);
    const proj = join(root, 'proj');
    for (const f of ['setpoint.yaml', 'manifests/example.yaml', '.gitignore'])
      assert.match(init.stdout, new RegExp(`created ${join(proj, f)}`));
    assert.match(init.stdout, /Next: cd proj && setpoint plan/);
    assert.equal(readFileSync(join(proj, '.gitignore'), 'utf8'), '.setpoint/\n');

    const validate = cli(['validate'], { cwd: proj });
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /Valid: 2 resources\./);
    const plan = cli(['plan'], { cwd: proj });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /Plan: 2 to create, 0 to update, 0 to delete\./);
    const apply = cli(['apply', '--yes'], { cwd: proj });
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(readFileSync(join(proj, 'out', 'hello.txt'), 'utf8'), 'hello from setpoint\n');
    assert.ok(existsSync(join(proj, '.setpoint', 'state.db')), 'the state is at .setpoint/state.db');
    assert.ok(existsSync(join(proj, '.setpoint', 'setpoint.log')), 'the log is next to the state');

    // From a subfolder, the project (and its state) is found upwards.
    const sub = cli(['plan', '--detailed-exitcode'], { cwd: join(proj, 'manifests') });
    assert.equal(sub.code, 0, sub.stdout + sub.stderr);
    assert.match(sub.stdout, /No changes/);
  });

  test('refuses to overwrite an existing project', () => {
    const root = tempDir();
    assert.equal(cli(['init'], { cwd: root }).code, 0);
    const again = cli(['init'], { cwd: root });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /error: not overwriting .*setpoint\.yaml/);
    assert.match(again.stderr, /hint: init an empty folder/);
  });
});

describe('validate', () => {
  test('exit 0 with a count for valid manifests; --json says valid', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${s.path('a.txt')}, content: x }\n`,
    });
    const r = s.run(['validate', '-f', 'm']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Valid: 1 resource.');
    assert.deepEqual(json(s.run(['validate', '-f', 'm', '--json'])), {
      apiVersion: 'setpoint.dev/v1',
      valid: true,
      resources: 1,
      policies: 0,
      violations: [],
      diagnostics: [],
    });
    assert.equal(existsSync(s.path('a.txt')), false, 'validate touches no target');
  });

  test('exit 1 with the diagnostics for invalid manifests; --json lists them', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${s.path('a.txt')}, mode: "rw" }\n`,
    });
    const r = s.run(['validate', '-f', 'm']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a\.yaml:3:\d+: File\/default\/a: spec\.mode: /);
    assert.match(r.stderr, /^1 error$/m);
    const data = json<{ valid: boolean; diagnostics: Array<{ field: string }> }>(
      s.run(['validate', '-f', 'm', '--json']),
    );
    assert.equal(data.valid, false);
    assert.deepEqual(
      data.diagnostics.map((d) => d.field),
      ['spec.mode'],
    );
  });

  test('reads YAML and JSON files from -f folders recursively and -f files, repeatably', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${s.path('a.txt')} }\n`,
      'm/deep/er/b.json': JSON.stringify({
        kind: 'File',
        metadata: { name: 'b' },
        spec: { path: s.path('b.txt') },
      }),
      'other/c.yml': `kind: File\nmetadata: { name: c }\nspec: { path: ${s.path('c.txt')} }\n`,
    });
    const r = s.run(['validate', '-f', 'm', '-f', 'other/c.yml']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Valid: 3 resources.');
  });
});

describe('schema', () => {
  test('schema File is a JSON Schema naming the spec properties', () => {
    const s = sandbox();
    const r = s.run(['schema', 'File']);
    assert.equal(r.code, 0, r.stderr);
    const schema = json<{
      $schema: string;
      properties: {
        kind: { const: string };
        spec: { properties: Record<string, unknown>; required?: string[] };
      };
    }>(r);
    assert.match(schema.$schema, /json-schema\.org/);
    assert.equal(schema.properties.kind.const, 'File');
    for (const p of ['path', 'content', 'source', 'contentFrom', 'mode', 'owner', 'group', 'ensure'])
      assert.ok(p in schema.properties.spec.properties, `spec.${p} is in the schema`);
    assert.deepEqual(schema.properties.spec.required, ['path']);
  });

  test('schema --list names every built-in kind with a description; an unknown kind is an error', () => {
    const s = sandbox();
    const r = s.run(['schema', '--list']);
    assert.equal(r.code, 0);
    for (const kind of ['Directory', 'Exec', 'File', 'Symlink'])
      assert.match(r.stdout, new RegExp(`^${kind}\\s+\\S.*$`, 'm'));
    const kinds = json<Array<{ kind: string; description: string }>>(s.run(['schema', '--list', '--json']));
    assert.ok(kinds.some((k) => k.kind === 'File' && k.description.length > 0));

    const bad = s.run(['schema', 'Nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: unknown kind "Nope"/);
    assert.match(bad.stderr, /hint: kinds: .*File/);
  });
});

describe('status, get, describe', () => {
  // One applied sandbox for the tests that only read it (each apply is a CLI start).
  let readOnly: Sandbox | undefined;
  const appliedReadOnly = () => (readOnly ??= applied());

  test('status prints a table with id, sync, health, last applied and drifted since', () => {
    const s = appliedReadOnly();
    const r = s.run(['status']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^ID\s+SYNC\s+HEALTH\s+LAST APPLIED\s+DRIFTED SINCE\s+MESSAGE$/);
    assert.match(r.stdout, /^Directory\/default\/out\s+InSync\s+Healthy\s+[0-9a-f]{8} \d+s ago\s+-/m);
    assert.match(r.stdout, /^File\/default\/a\s+InSync\s+Healthy\s/m);
    assert.match(r.stdout, /^File\/web\/b\s+InSync\s+Healthy\s/m);
    assert.match(r.stdout, /3 resources: 3 InSync; 3 Healthy\./);
  });

  test('status --json and its filters (kind, namespace, label, sync)', () => {
    const s = applied();
    const all = json<{ resources: ResourceJson[]; counts: { total: number } }>(s.run(['status', '--json']));
    assert.equal(all.counts.total, 3);
    assert.ok(
      all.resources.every(
        (r) =>
          r.sync === 'InSync' && r.health === 'Healthy' && /^[0-9a-f]{16}$/.test(r.lastAppliedRevision ?? ''),
      ),
    );

    const ids = (args: string[]) =>
      json<{ resources: ResourceJson[] }>(s.run(['status', '--json', ...args]))
        .resources.map((r) => r.id)
        .sort();
    assert.deepEqual(ids(['--kind', 'File']), ['File/default/a', 'File/web/b']);
    assert.deepEqual(ids(['--namespace', 'web']), ['File/web/b']);
    assert.deepEqual(ids(['-l', 'team=infra']), ['Directory/default/out']);
    assert.deepEqual(ids(['--label', 'team=web', '--namespace', 'default']), ['File/default/a']);

    writeFileSync(s.path('out', 'a.txt'), 'changed\n');
    assert.equal(s.run(['drift', '-f', 'm']).code, 2);
    assert.deepEqual(ids(['--sync', 'Drifted']), ['File/default/a']);
    assert.match(
      s.run(['status', '--sync', 'Drifted']).stdout,
      /^File\/default\/a\s+Drifted\s+Healthy\s+\S+ \d+s ago\s+\d+s ago/m,
    );

    const bad = s.run(['status', '--sync', 'Weird']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /expected one of InSync, Drifted/);
  });

  test('status before any apply says so', () => {
    const s = sandbox();
    const r = s.run(['status']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /No resources recorded yet\. Run `setpoint apply` first\./);
  });

  test('get ID shows the stored record; --json has the desired spec; short and full ids both work', () => {
    const s = appliedReadOnly();
    const r = s.run(['get', 'File/a']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^File\/default\/a {2}InSync Healthy$/m);
    assert.match(r.stdout, /^kind: File$/m);
    assert.match(r.stdout, /^lastAppliedRevision: [0-9a-f]{16}$/m);
    const record = json<ResourceJson>(s.run(['get', 'File/default/a', '--json']));
    assert.equal(record.id, 'File/default/a');
    assert.equal(record.spec.content, 'one\ntwo\n');
    assert.deepEqual(record.labels, { team: 'web' });

    const missing = s.run(['get', 'File/nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: no resource File\/default\/nope in the state/);
    assert.equal(
      json<{ error: { code: string } }>(s.run(['get', 'File/nope', '--json'])).error.code,
      'SETPOINT_NOT_FOUND',
    );
  });

  test('describe ID shows desired, actual, the diff and recent events', () => {
    const s = applied();
    writeFileSync(s.path('out', 'a.txt'), 'one\nTWO\n');
    assert.equal(s.run(['drift', '-f', 'm']).code, 2);
    const r = s.run(['describe', 'File/a', '-f', 'm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Resource: {2}File\/default\/a$/m);
    assert.match(r.stdout, /^Sync: {6}Drifted {2}\(drifted since /m);
    assert.match(r.stdout, /^Desired:\n(.*\n)*? {2}content: \|\n {4}one\n {4}two$/m);
    assert.match(r.stdout, /^Actual:\n(.*\n)*? {2}content: \|\n {4}one\n {4}TWO$/m);
    assert.match(r.stdout, /^Diff:\n {2}~ spec\.content:$/m);
    assert.match(r.stdout, /^\s+-TWO$/m);
    assert.match(r.stdout, /^\s+\+two$/m);
    assert.match(r.stdout, /^Events:\n(.*\n)*?.*Normal\s+Created\s+created /m);
    assert.match(r.stdout, /Warning\s+DriftDetected\s+drifted: spec\.content/);

    const d = json<{
      id: string;
      desired: { content: string };
      actual: { content: string; mode: string };
      exists: boolean;
      changes: Array<{ path: string; diff: string }>;
      events: Array<{ reason: string }>;
    }>(s.run(['describe', 'File/a', '-f', 'm', '--json']));
    assert.equal(d.id, 'File/default/a');
    assert.equal(d.exists, true);
    assert.equal(d.desired.content, 'one\ntwo\n');
    assert.equal(d.actual.content, 'one\nTWO\n');
    assert.equal(d.actual.mode, '0644');
    assert.deepEqual(
      d.changes.map((c) => c.path),
      ['spec.content'],
    );
    assert.deepEqual(d.events.map((e) => e.reason).sort(), ['Created', 'DriftDetected']);

    const missing = s.run(['describe', 'File/nope', '-f', 'm']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /File\/default\/nope is neither declared nor in the state/);
  });

  test('describe a declared resource never applied shows it as absent with what a create sets', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: File\nmetadata: { name: new }\nspec: { path: ${s.path('new.txt')}, content: "x" }\n`,
    });
    const r = s.run(['describe', 'File/new', '-f', 'm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Actual: {2}\(absent\)$/m);
    assert.match(r.stdout, /^Events:\n {2}none$/m);
  });
});

describe('history and events', () => {
  test('history lists each apply with its revision, actor, result and counts', () => {
    const s = applied();
    writeFileSync(s.path('out', 'a.txt'), 'changed\n');
    assert.equal(s.run(['apply', '-f', 'm', '--yes', '--actor', 'alice']).code, 0);
    const r = s.run(['history']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Revisions$/m);
    assert.match(
      r.stdout,
      /^REVISION\s+SOURCE\s+COMMIT\s+AUTHOR\s+ADMISSION\s+CREATED\s+CONVERGED IN\s+LEAD TIME\s+MESSAGE$/m,
    );
    assert.match(r.stdout, /^[0-9a-f]{16}\s+local\s+-\s+-\s+admitted\s+\S+\s+\d+\.\d+s\s+-/m);
    assert.match(r.stdout, /^STARTED\s+COMMAND\s+REVISION\s+ACTOR\s+RESULT\s+CHANGED\s+FAILED\s+DURATION$/m);
    assert.match(r.stdout, /^\S+\s+apply\s+[0-9a-f]{12}\s+alice\s+succeeded\s+1\s+0\s+/m);
    assert.match(r.stdout, /^\S+\s+apply\s+[0-9a-f]{12}\s+\S+\s+succeeded\s+3\s+0\s+/m);

    const h = json<{
      runs: Array<{ actor: string; command: string; result: string; summary: { changed: number } }>;
      revisions: Array<{ id: string; convergedAt?: string }>;
    }>(s.run(['history', '--json']));
    assert.equal(h.runs.length, 2);
    assert.equal(h.runs[0].actor, 'alice', 'newest first');
    assert.equal(h.runs[0].summary.changed, 1);
    assert.equal(h.runs[1].summary.changed, 3);
    assert.ok(h.revisions[0].convergedAt, 'the revision is marked converged');
    assert.equal(json<{ runs: unknown[] }>(s.run(['history', '--json', '-n', '1'])).runs.length, 1);
  });

  test('events lists what happened, newest last; events ID only that resource', () => {
    const s = applied();
    writeFileSync(s.path('out', 'a.txt'), 'changed\n');
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    const r = s.run(['events']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^TIME\s+TYPE\s+REASON\s+RESOURCE\s+REVISION\s+MESSAGE$/m);
    assert.match(r.stdout, /Normal\s+Created\s+Directory\/default\/out\s+[0-9a-f]{8}\s+created /);
    assert.match(r.stdout, /Normal\s+Updated\s+File\/default\/a\s+[0-9a-f]{8}\s+updated spec\.content/);

    const all = json<Array<{ resourceId: string; reason: string }>>(s.run(['events', '--json']));
    assert.equal(all.length, 4);
    const one = json<Array<{ resourceId: string; reason: string }>>(s.run(['events', 'File/a', '--json']));
    assert.deepEqual(
      one.map((e) => `${e.resourceId} ${e.reason}`),
      ['File/default/a Created', 'File/default/a Updated'],
    );
  });
});

describe('confirmation', () => {
  test('apply without --yes and without a terminal refuses with a hint and changes nothing', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${s.path('a.txt')}, content: x }\n`,
    });
    const r = s.run(['apply', '-f', 'm']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: apply needs confirmation, and standard input is not a terminal/);
    assert.match(r.stderr, /hint: pass --yes to apply without asking/);
    assert.equal(existsSync(s.path('a.txt')), false);
    assert.deepEqual(json<{ runs: unknown[] }>(s.run(['history', '--json'])).runs, []);
  });

  test('apply without --yes needs no confirmation when there is nothing to change', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${s.path('a.txt')}, content: x }\n`,
    });
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    const r = s.run(['apply', '-f', 'm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /changed: 0 /);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  test(
    'on a terminal, apply shows the plan and proceeds only on "yes"',
    { skip: hasScript ? false : 'needs script(1) from util-linux for a pseudo-terminal' },
    () => {
      const s = sandbox();
      s.write({
        'm/a.yaml': `kind: File\nmetadata: { name: a }\nspec: { path: ${s.path('a.txt')}, content: x }\n`,
      });
      const onTerminal = (answer: string) =>
        spawnSync(
          'script',
          ['-qec', `${process.execPath} ${BIN} apply -f m --state ${s.state}`, '/dev/null'],
          {
            cwd: s.dir,
            input: answer,
            encoding: 'utf8',
            env: { ...process.env, NO_COLOR: '1' },
            timeout: 60_000,
          },
        );
      const no = onTerminal('no\n');
      assert.equal(no.status, 1, no.stdout);
      assert.match(no.stdout, /Plan: 1 to create, 0 to update, 0 to delete\./);
      assert.match(no.stdout, /Do you want to perform these actions\? Only "yes" will be accepted:/);
      assert.match(no.stdout, /Apply cancelled; nothing was changed\./);
      assert.equal(existsSync(s.path('a.txt')), false);

      const yes = onTerminal('yes\n');
      assert.equal(yes.status, 0, yes.stdout);
      assert.match(yes.stdout, /Apply complete\. changed: 1 /);
      assert.equal(readFileSync(s.path('a.txt'), 'utf8'), 'x');
    },
  );
});
