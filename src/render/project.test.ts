import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { Diagnostics, loadDocuments } from '../manifest/index.js';
import { loadSettings } from '../project/index.js';
import { isOverlayFile, readOverlays, renderProject, resolveRenderInputs } from './project.js';

const SETTINGS = `variables: { region: eu, greeting: hello, replicas: 2 }
environments:
  prod:
    overlays: [overlays/prod]
    variables: { greeting: "hello, prod" }
  staging:
    overlays:
      - overlays/common
      - overlays/staging.yaml
`;

function settingsOf(text: string, files: Record<string, string> = {}) {
  const dir = tempDir();
  writeFiles(dir, { 'setpoint.yaml': text, ...files });
  const loaded = loadSettings(dir, true);
  return { dir, ...loaded };
}

describe('settings: variables and environments', () => {
  it('reads them, with overlay paths made absolute in order', () => {
    const { dir, settings, diagnostics } = settingsOf(SETTINGS);
    assert.deepEqual(diagnostics.items, []);
    assert.deepEqual(settings.variables, { region: 'eu', greeting: 'hello', replicas: 2 });
    assert.deepEqual(settings.environments, {
      prod: { overlays: [join(dir, 'overlays/prod')], variables: { greeting: 'hello, prod' } },
      staging: {
        overlays: [join(dir, 'overlays/common'), join(dir, 'overlays/staging.yaml')],
        variables: {},
      },
    });
  });

  it('defaults to none of either', () => {
    const { settings } = settingsOf('namespace: default\n');
    assert.deepEqual([settings.variables, settings.environments], [{}, {}]);
  });

  it('refuses bad variable names, the reserved name replica, other value types and unknown environment fields', () => {
    const { diagnostics } = settingsOf(
      'variables:\n  ok: 1\n  replica: 2\n  list: [a]\n  my-var: x\nenvironments:\n  prod:\n    overlay: [x]\n  "a b": {}\n',
    );
    const got = diagnostics.items.map((d) => [d.field, d.summary]);
    assert.deepEqual(got, [
      ['variables.list', 'wrong type'],
      ['variables.replica', '"replica" is reserved for Process replicas'],
      [
        'variables.my-var',
        '"my-var" is not a variable name: letters, digits and "_", not starting with a digit',
      ],
      ['environments.prod.overlay', 'unknown field "overlay"'],
      ['environments.a b', '"a b" is not an environment name: letters, digits, ".", "_" or "-"'],
    ]);
    assert.equal(diagnostics.items[1].line, 3);
  });
});

describe('resolveRenderInputs', () => {
  it('selects the environment from --env, else SETPOINT_ENV', () => {
    const { settings } = settingsOf(SETTINGS);
    const diags = new Diagnostics();
    const prod = resolveRenderInputs(settings, { env: { SETPOINT_ENV: 'prod' } }, diags);
    assert.equal(prod.environment, 'prod');
    assert.deepEqual(prod.overlayPaths, settings.environments.prod.overlays);
    assert.equal(prod.variables.get('greeting')!.value, 'hello, prod');
    const staging = resolveRenderInputs(
      settings,
      { environment: 'staging', env: { SETPOINT_ENV: 'prod' } },
      diags,
    );
    assert.equal(staging.environment, 'staging');
    assert.equal(staging.variables.get('greeting')!.value, 'hello');
    assert.equal(staging.allOverlayPaths.length, 3);
    assert.deepEqual(diags.items, []);
  });

  it('without an environment: no overlays, the top-level variables', () => {
    const { settings } = settingsOf(SETTINGS);
    const inputs = resolveRenderInputs(settings, { env: { SETPOINT_ENV: '' } }, new Diagnostics());
    assert.equal(inputs.environment, undefined);
    assert.deepEqual(inputs.overlayPaths, []);
    assert.equal(inputs.variables.get('greeting')!.value, 'hello');
  });

  it('reports an unknown environment with the defined ones and a did-you-mean', () => {
    const { settings } = settingsOf(SETTINGS);
    const diags = new Diagnostics();
    resolveRenderInputs(settings, { env: { SETPOINT_ENV: 'prdo' } }, diags);
    const [d] = diags.items;
    assert.equal(d.code, 'SETPOINT_ENVIRONMENT_UNKNOWN');
    assert.equal(d.summary, 'unknown environment "prdo" (from SETPOINT_ENV)');
    assert.equal(d.detail, 'setpoint.yaml defines: prod, staging');
    assert.deepEqual([d.line, d.column], [2, 1], 'at environments: in setpoint.yaml');
    assert.equal(d.hint, 'did you mean "prod"?');
  });

  it('passes --var through with the declared type', () => {
    const { settings } = settingsOf(SETTINGS);
    const inputs = resolveRenderInputs(
      settings,
      { variables: { replicas: '4', extra: 'x' } },
      new Diagnostics(),
    );
    assert.deepEqual(inputs.variables.get('replicas'), { value: 4, from: '--var' });
    assert.deepEqual(inputs.variables.get('extra'), { value: 'x', from: '--var' });
  });
});

describe('readOverlays and renderProject', () => {
  it('reports a missing overlay path at its line in setpoint.yaml', () => {
    const { dir, settings } = settingsOf(SETTINGS, { 'overlays/common/a.yaml': 'delete: File/x\n' });
    const diags = new Diagnostics();
    const inputs = resolveRenderInputs(settings, { environment: 'staging' }, diags);
    const docs = readOverlays(inputs, diags);
    assert.equal(docs.length, 1);
    const [d] = diags.items;
    assert.equal(d.code, 'SETPOINT_OVERLAY_MISSING');
    assert.deepEqual(
      [d.file, d.line, d.column, d.field],
      [join(dir, 'setpoint.yaml'), 9, 9, 'environments.staging.overlays[1]'],
    );
  });

  it('never reads overlay files as base manifests, even when the base folder holds them', () => {
    const { dir, settings } = settingsOf(
      'manifests: ["."]\nenvironments:\n  prod: { overlays: [overlays/prod] }\n',
      {
        'm.yaml': 'kind: File\nmetadata: { name: motd }\nspec: { path: /m }\n',
        'overlays/prod/p.yaml': 'patch: File/motd\nwith: { spec: { mode: "0600" } }\n',
      },
    );
    const diags = new Diagnostics();
    const inputs = resolveRenderInputs(settings, { environment: 'prod' }, diags);
    assert.equal(isOverlayFile(inputs, join(dir, 'overlays/prod/p.yaml')), true);
    assert.equal(isOverlayFile(inputs, join(dir, 'm.yaml')), false);
    const base = loadDocuments([dir], diags);
    assert.equal(base.length, 2, 'the walk finds both files');
    const docs = renderProject(base, inputs, diags);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(
      docs.map((d) => d.value),
      [{ kind: 'File', metadata: { name: 'motd' }, spec: { path: '/m', mode: '0600' } }],
    );
    const plain = renderProject(base, resolveRenderInputs(settings, {}, diags), diags);
    assert.deepEqual(
      plain.map((d) => d.file),
      [join(dir, 'm.yaml')],
      'without --env too',
    );
  });
});
