/**
 * Read-only commands create nothing (issue 10, defect 7): in a folder that
 * is not a project, and in a project that was never applied, `validate`,
 * `plan`, `status`, `describe`, `get`, `drift`, `history`, `events`,
 * `render`, `schema`, `policies` and the other listing commands leave the
 * folder tree exactly as it was — no `.setpoint/`, state db, log file or
 * manifest cache — and the target they would manage is not created either.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { cli, tempDir, writeFiles } from './helpers.js';

/** Every path under `dir` with its type, size and mtime. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p);
      out.push(`${relative(dir, p)} ${e.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Each command and the exit code it must end with. --json changes only what
 * is printed, not how the project and state are opened (src/cli/context.ts),
 * so `plan` and `status` stand for their --json forms (a CLI start each saved).
 */
const COMMANDS: Array<[string[], number]> = [
  [['validate', '-f', 'm'], 0],
  [['render', '-f', 'm'], 0],
  [['plan', '-f', 'm'], 0],
  [['drift', '-f', 'm'], 2],
  [['status'], 0],
  [['describe', 'File/motd', '-f', 'm'], 0],
  [['get', 'File/motd'], 1],
  [['history'], 0],
  [['events'], 0],
  [['schema', 'File'], 0],
  [['facts'], 0],
  [['policies', '-f', 'm'], 0],
  [['audit'], 0],
  [['audit', 'verify'], 0],
  [['token', 'list'], 0],
  [['approvals'], 0],
  [['alerts'], 0],
  [['silence', 'list'], 0],
];

function checkNothingWritten(dir: string, target: string, commands: typeof COMMANDS): void {
  const before = tree(dir);
  for (const [args, code] of commands) {
    const r = cli(args, { cwd: dir });
    assert.equal(r.code, code, `setpoint ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /SETPOINT_INTERNAL|unable to open/);
    assert.deepEqual(tree(dir), before, `setpoint ${args.join(' ')} changed the folder`);
  }
  assert.equal(existsSync(join(dir, '.setpoint')), false);
  assert.equal(existsSync(target), false, 'the target was created');
}

describe('read-only commands create nothing', () => {
  it('in a folder that is not a project', () => {
    const dir = tempDir('setpoint-readonly-');
    const target = join(tempDir('setpoint-readonly-target-'), 'motd');
    writeFiles(dir, {
      'm/motd.yaml': `kind: File\nmetadata: { name: motd }\nspec: { path: ${target}, content: "hi\\n" }\n`,
    });
    checkNothingWritten(dir, target, COMMANDS);
  });

  it('in a project that was never applied', () => {
    const dir = tempDir('setpoint-readonly-project-');
    const target = join(tempDir('setpoint-readonly-target-'), 'motd');
    writeFiles(dir, {
      'setpoint.yaml': 'manifests: [m]\n',
      'm/motd.yaml': `kind: File\nmetadata: { name: motd }\nspec: { path: ${target}, content: "hi\\n" }\n`,
    });
    // The commands that read the project's manifests and state.
    const names = new Set(['validate', 'plan', 'drift', 'status', 'describe']);
    checkNothingWritten(
      dir,
      target,
      COMMANDS.filter(([args]) => names.has(args[0])).map(([args, code]) => [
        args.filter((a) => a !== '-f' && a !== 'm'),
        code,
      ]),
    );
  });
});
