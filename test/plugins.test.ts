// Third-party kinds through `plugins:` in setpoint.yaml: loaded, validated, applied; bad plugins are clear errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ROOT, cli, tempDir, writeFiles } from './helpers.js';

const library = pathToFileURL(join(ROOT, 'dist', 'index.js')).href;

function project(plugin: string, manifest: string): string {
  const dir = tempDir();
  writeFiles(dir, {
    'setpoint.yaml': 'plugins: [./plugin.mjs]\n',
    'plugin.mjs': plugin,
    'manifests/a.yaml': manifest,
  });
  return dir;
}

describe('plugins', () => {
  it('registers a plugin kind: schema, validate, plan and apply use it', () => {
    const dir = project(
      `import { createRecordingFake } from '${library}';\nexport const providers = [createRecordingFake('Widget')];\n`,
      'kind: Widget\nmetadata: { name: w1 }\nspec: { value: 42 }\n',
    );
    const list = cli(['schema', '--list'], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^Widget\s+An in-memory target/m);
    const plan = cli(['plan'], { cwd: dir });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /\+ Widget\/default\/w1/);
    assert.match(plan.stdout, /spec\.value: 42/);
    const apply = cli(['apply', '--yes'], { cwd: dir });
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /changed: 1 /);
    const bad = cli(['validate', '-f', 'manifests'], { cwd: dir, env: {} });
    assert.equal(bad.code, 0, bad.stderr);
  });

  it('a plugin kind spec error is a located diagnostic', () => {
    const dir = project(
      `import { createRecordingFake } from '${library}';\nexport const providers = [createRecordingFake('Widget')];\n`,
      'kind: Widget\nmetadata: { name: w1 }\nspec: { valu: 42 }\n',
    );
    const r = cli(['validate'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /manifests\/a\.yaml:3:\d+: Widget\/default\/w1: spec\.valu: unknown field "valu"/);
  });

  it('refuses a plugin that exports no providers, or clashes with a built-in kind', () => {
    const none = project(
      'export const nothing = 1;\n',
      'kind: File\nmetadata: { name: x }\nspec: { path: /tmp/x }\n',
    );
    const r1 = cli(['plan'], { cwd: none });
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /plugin \.\/plugin\.mjs exports no providers/);
    const clash = project(
      `import { createRecordingFake } from '${library}';\nexport const providers = [createRecordingFake('File')];\n`,
      'kind: File\nmetadata: { name: x }\nspec: { path: /tmp/x }\n',
    );
    const r2 = cli(['plan'], { cwd: clash });
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /a provider for kind File is already registered/);
  });

  it('a missing plugin file names the path', () => {
    const dir = tempDir();
    writeFiles(dir, { 'setpoint.yaml': 'plugins: [./nope.mjs]\n', 'manifests/a.yaml': '' });
    const r = cli(['plan'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plugin \.\/nope\.mjs failed to load|plugin \.\/nope\.mjs not found/);
  });
});
