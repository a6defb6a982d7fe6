/**
 * Command-line conventions, through the real CLI in child processes: global
 * options in every subcommand's help, shell completion generated from the
 * command tree, `version` with build info, `status --exit-code`, colours as
 * NO_COLOR / FORCE_COLOR / TERM=dumb ask, and `apiVersion` in JSON documents.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Command } from 'commander';
import { outputSchema } from '../src/api/contract.js';
import { buildProgram } from '../src/cli/main.js';
import { cli, json, tempDir, writeFiles } from './helpers.js';

function projectWith(manifest: string): string {
  const dir = tempDir();
  writeFiles(dir, {
    'setpoint.yaml': 'sources: [{ name: local, path: manifests }]\n',
    'manifests/a.yaml': manifest,
  });
  return dir;
}

const file = (name: string, path: string) =>
  `kind: File\nmetadata: { name: ${name} }\nspec:\n  path: ${path}\n  content: "x\\n"\n  mode: "0644"\n`;

describe('CLI conventions', () => {
  it('every subcommand’s help shows the global options and examples', () => {
    // The whole command tree, rendered in this process (one spawn per command took 40 s).
    const all: string[] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        if (sub.name() === 'help' || sub.name() === 'complete') continue;
        const name = [...path, sub.name()].join(' ');
        let out = '';
        sub.configureOutput({ writeOut: (x) => (out += x), writeErr: (x) => (out += x) });
        sub.outputHelp();
        all.push(name);
        assert.match(out, /Global Options:[\s\S]*--state <path>[\s\S]*--json/, name);
        assert.match(out, /Examples:/, `${name}: add its examples (src/cli/examples.ts)`);
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(buildProgram(), []);
    assert.ok(all.length > 40, `found ${all.length} commands`);
    // And the real binary prints the same kind of help for a nested command.
    const r = cli(['state', 'migrate', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Global Options:[\s\S]*--state <path>[\s\S]*--json/);
    assert.match(r.stdout, /Examples:/);
  });

  it('`completion bash|zsh|fish` prints a script, and `complete --` answers from the command tree', () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = cli(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /setpoint/, shell);
      assert.ok(r.stdout.length > 500, shell);
    }
    const sta = cli(['complete', '--', 'sta']).stdout;
    assert.match(sta, /^status\t/m);
    assert.doesNotMatch(sta, /^apply\t/m);
    assert.match(cli(['complete', '--', 'status', '--sy']).stdout, /^--sync\t/m);
  });

  it('`version` prints the version, Node and platform; --json carries apiVersion', () => {
    const r = cli(['version', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = json<Record<string, string>>(r);
    assert.equal(info.apiVersion, 'setpoint.dev/v1');
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.equal(info.node, process.version);
    assert.equal(info.platform, process.platform);
    assert.equal(
      cli(['version', '--json'], { env: { SETPOINT_COMMIT: 'abc123' } }).stdout.includes('"abc123"'),
      true,
    );
  });

  it('`status --exit-code` exits 2 when a resource drifted, 0 when all are in sync; without it, 0', () => {
    const out = join(tempDir(), 'motd');
    const dir = projectWith(file('motd', out));
    assert.equal(cli(['apply', '--yes'], { cwd: dir }).code, 0);
    assert.equal(cli(['status', '--exit-code'], { cwd: dir }).code, 0);
    writeFileSync(out, 'edited\n');
    assert.equal(cli(['drift'], { cwd: dir }).code, 2, 'drift recorded');
    const r = cli(['status', '--exit-code', '--json'], { cwd: dir });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(json<{ apiVersion: string }>(r).apiVersion, 'setpoint.dev/v1');
    assert.equal(cli(['status'], { cwd: dir }).code, 0);
  });

  it('colours: FORCE_COLOR colours a pipe, NO_COLOR and TERM=dumb turn them off', () => {
    const out = join(tempDir(), 'motd');
    const dir = projectWith(file('motd', out));
    cli(['apply', '--yes'], { cwd: dir });
    const esc = (env: Record<string, string | undefined>) =>
      cli(['status'], { cwd: dir, env: { NO_COLOR: undefined, ...env } }).stdout.includes('\x1b[');
    assert.equal(esc({ FORCE_COLOR: '1' }), true);
    assert.equal(esc({ FORCE_COLOR: '1', NO_COLOR: '1' }), false);
    assert.equal(esc({ TERM: 'dumb' }), false);
    assert.equal(esc({}), false, 'a pipe gets no colours');
  });
});

describe('saved plans and apply output', () => {
  const setup = () => {
    const out = join(tempDir(), 'motd');
    const dir = projectWith(file('motd', out));
    return { dir, out, run: (args: string[]) => cli(args, { cwd: dir }) };
  };

  it('`plan -out FILE` then `apply FILE` applies the reviewed plan without asking', () => {
    const { run, out } = setup();
    const saved = run(['plan', '-out', 'release.plan']);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stderr, /Saved the plan to release\.plan/);
    const r = run(['apply', 'release.plan']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'x\n');
  });

  it('`apply FILE` is refused when the desired state, the recorded state or the actual state moved', () => {
    const { dir, run, out } = setup();
    assert.equal(run(['plan', '--out=a.plan']).code, 0);
    writeFileSync(join(dir, 'manifests/a.yaml'), file('motd', out).replace('"x\\n"', '"y\\n"'));
    const desired = run(['apply', 'a.plan']);
    assert.equal(desired.code, 1);
    assert.match(desired.stderr, /a\.plan is stale: the desired state moved/);
    assert.equal(existsSync(out), false, 'nothing applied');

    assert.equal(run(['plan', '-out=b.plan']).code, 0);
    assert.equal(run(['apply', '--yes']).code, 0, 'another run applies first');
    const state = run(['apply', 'b.plan']);
    assert.equal(state.code, 1);
    assert.match(state.stderr, /b\.plan is stale: the recorded state moved/);

    writeFileSync(out, 'edited\n');
    assert.equal(run(['plan', '-out', 'c.plan']).code, 0);
    writeFileSync(out, 'edited again\n');
    const actual = run(['apply', 'c.plan']);
    assert.equal(actual.code, 1);
    assert.match(actual.stderr, /c\.plan is stale: the actual state moved/);
    assert.equal(readFileSync(out, 'utf8'), 'edited again\n');

    writeFileSync(join(dir, 'not-a-plan'), '{"kind":"Other"}');
    assert.match(run(['apply', 'not-a-plan']).stderr, /not a saved plan/);
  });

  it('`plan --json` and `apply --json` carry apiVersion and the same action shape; --quiet leaves only the summary', () => {
    const { run } = setup();
    type Doc = { apiVersion: string; actions: unknown[]; outcomes: Array<{ action: unknown }> };
    const plan = json<Doc>(run(['plan', '--json']));
    const applied = json<Doc>(run(['apply', '--yes', '--json']));
    assert.equal(plan.apiVersion, 'setpoint.dev/v1');
    assert.equal(applied.apiVersion, 'setpoint.dev/v1');
    assert.deepEqual(
      applied.outcomes.map((o) => o.action),
      plan.actions,
    );
    const { run: run2 } = setup();
    const quiet = run2(['apply', '--yes', '--quiet']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stdout, /File\/default\/motd/);
    assert.match(quiet.stdout, /Apply complete/);
  });
});

describe('state records: list, show, rm, mv, import', () => {
  it('rm forgets without destroying; import adopts an existing target as managed; mv renames a record; all audited', () => {
    const out = join(tempDir(), 'motd');
    const dir = projectWith(file('motd', out));
    const run = (args: string[]) => cli(args, { cwd: dir });
    assert.equal(run(['apply', '--yes']).code, 0);
    const list = json<{ items: Array<{ id: string; managed: boolean }> }>(run(['state', 'list', '--json']));
    assert.deepEqual(
      list.items.map((r) => [r.id, r.managed]),
      [['File/default/motd', true]],
    );
    assert.equal(
      json<{ record: { id: string } }>(run(['state', 'show', 'File/motd', '--json'])).record.id,
      'File/default/motd',
    );

    const rm = run(['state', 'rm', 'File/motd']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'x\n', 'the target stays');
    assert.deepEqual(json<{ items: unknown[] }>(run(['state', 'list', '--json'])).items, []);
    assert.equal(run(['state', 'rm', 'File/motd']).code, 1, 'no longer in the state');

    writeFileSync(out, 'changed by hand\n');
    const imp = run(['state', 'import', 'File/motd', '--json']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(json<{ sync: string }>(imp).sync, 'Drifted');
    const shown = json<{ record: { managed: boolean; sync: string } }>(
      run(['state', 'show', 'File/motd', '--json']),
    );
    assert.deepEqual([shown.record.managed, shown.record.sync], [true, 'Drifted']);
    assert.equal(readFileSync(out, 'utf8'), 'changed by hand\n', 'import observes only');
    assert.equal(run(['state', 'import', 'File/motd']).code, 1, 'already in the state');
    assert.match(run(['state', 'import', 'File/nothing']).stderr, /not declared in the manifests/);

    assert.equal(run(['state', 'mv', 'File/motd', 'File/web/motd']).code, 0);
    assert.deepEqual(
      json<{ items: Array<{ id: string }> }>(run(['state', 'list', '--json'])).items.map((r) => r.id),
      ['File/web/motd'],
    );
    assert.match(run(['state', 'mv', 'File/web/motd', 'Directory/web/motd']).stderr, /the kind differs/);

    const audit = json<Array<{ action: string }>>(run(['audit', '--json']));
    for (const action of ['state.rm', 'state.import', 'state.mv'])
      assert.ok(
        audit.some((e) => e.action === action),
        action,
      );
    assert.equal(run(['audit', 'verify']).code, 0);
  });
});

describe('--json documents and their published schemas', () => {
  it('real plan, apply, status, version, state list and error documents validate against `output-schema NAME`', () => {
    const out = join(tempDir(), 'motd');
    const dir = projectWith(file('motd', out));
    const run = (args: string[]) => cli(args, { cwd: dir });
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // What `output-schema NAME` prints is outputSchema(NAME): checked through the real CLI once,
    // the other documents' schemas are read in this process (a CLI start each cost 1-2 s).
    assert.deepEqual(json(cli(['output-schema', 'plan'])), outputSchema('plan'));
    const check = (name: string, r: ReturnType<typeof cli>) => {
      const schema = outputSchema(name);
      assert.ok(schema, `no output schema ${name}`);
      const ok = ajv.validate(schema, json(r));
      assert.ok(ok, `${name}: ${ajv.errorsText(ajv.errors)}\n${r.stdout.slice(0, 500)}`);
    };
    check('plan', run(['plan', '--json']));
    check('apply', run(['apply', '--yes', '--json']));
    writeFileSync(out, 'edited\n');
    run(['drift']);
    check('status', run(['status', '--json']));
    check('version', run(['version', '--json']));
    check('state-list', run(['state', 'list', '--json']));
    const failed = run(['state', 'rm', 'File/nothing', '--json']);
    assert.equal(failed.code, 1);
    check('error', failed);
    // The check can fail: a document of another command does not pass.
    assert.equal(
      ajv.validate({ $ref: 'https://setpoint.dev/schemas/v1/plan.json' }, json(run(['version', '--json']))),
      false,
    );
    assert.equal(cli(['output-schema', 'nothing']).code, 1);
  });
});
