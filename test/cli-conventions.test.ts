/**
 * Command-line conventions, through the real CLI in child processes: global
 * options in every subcommand's help, shell completion generated from the
 * command tree, `version` with build info, `status --exit-code`, colours as
 * NO_COLOR / FORCE_COLOR / TERM=dumb ask, and `apiVersion` in JSON documents.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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
    for (const cmd of ['status', 'completion', 'version']) {
      const r = cli([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Global Options:[\s\S]*--state <path>[\s\S]*--json/, cmd);
      assert.match(r.stdout, /Examples:/, cmd);
    }
  });

  it('`completion bash|zsh|fish` prints a script, and `complete --` answers from the command tree', () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = cli(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /setpoint/, shell);
      assert.ok(r.stdout.length > 500, shell);
    }
    assert.match(cli(['complete', '--', 'sta']).stdout, /^status\t/m);
    assert.match(cli(['complete', '--', 'status', '--sy']).stdout, /^--sync\t/m);
    assert.doesNotMatch(cli(['complete', '--', 'sta']).stdout, /^apply\t/m);
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
