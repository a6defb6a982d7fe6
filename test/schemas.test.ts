/**
 * The published JSON Schemas (schemas/) are what editors validate with: a
 * real JSON Schema validator (ajv, draft-07) accepts the files `setpoint
 * init` writes and every example, and rejects what `setpoint validate`
 * rejects (a misspelt field, an unknown kind, a wrong type in setpoint.yaml).
 * The modelines init writes point at schema files that exist.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { cli, ROOT, tempDir } from './helpers.js';

const SCHEMAS = join(ROOT, 'schemas');

function compile(file: string): ValidateFunction {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    // The only format the schemas use (telemetry.otlp.endpoint); editors check it the same way.
    formats: { uri: (s: string) => URL.canParse(s) },
  });
  return ajv.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
}

const manifest = compile(join(SCHEMAS, 'manifest.schema.json'));
const settings = compile(join(SCHEMAS, 'setpoint.schema.json'));

function documents(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as unknown);
}

/** The problems ajv finds in every document of a YAML file ([] when valid). */
function problems(validate: ValidateFunction, file: string): string[] {
  return documents(file).flatMap((doc, i) =>
    validate(doc) ? [] : [`${file} #${i + 1}: ${JSON.stringify(validate.errors?.slice(0, 3))}`],
  );
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) && !/\.test\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** The schema a `# yaml-language-server: $schema=...` modeline names, resolved from the file's folder. */
function modelineTarget(file: string): string | undefined {
  const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(file, 'utf8'));
  return m ? resolve(dirname(file), m[1]) : undefined;
}

describe('published JSON Schemas', () => {
  it('accept the files setpoint init writes, whose modelines name the schemas it wrote (equal to the shipped ones)', () => {
    const dir = join(tempDir(), 'project');
    const r = cli(['init', dir]);
    assert.equal(r.code, 0, r.stderr);
    const settingsFile = join(dir, 'setpoint.yaml');
    const exampleFile = join(dir, 'manifests', 'example.yaml');
    assert.equal(modelineTarget(settingsFile), join(dir, 'schemas', 'setpoint.schema.json'));
    assert.equal(modelineTarget(exampleFile), join(dir, 'schemas', 'manifest.schema.json'));
    for (const name of ['setpoint.schema.json', 'manifest.schema.json'])
      assert.equal(
        readFileSync(join(dir, 'schemas', name), 'utf8').replace(/\s+/g, ''),
        readFileSync(join(SCHEMAS, name), 'utf8').replace(/\s+/g, ''),
        name,
      );
    assert.deepEqual(problems(compile(modelineTarget(settingsFile)!), settingsFile), []);
    assert.deepEqual(problems(compile(modelineTarget(exampleFile)!), exampleFile), []);
    assert.ok(documents(exampleFile).length >= 2);
  });

  it('accept every example project and policy', () => {
    const examples = join(ROOT, 'examples');
    const found: string[] = [];
    for (const project of readdirSync(examples)) {
      const settingsFile = join(examples, project, 'setpoint.yaml');
      if (existsSync(settingsFile)) {
        found.push(settingsFile);
        assert.deepEqual(problems(settings, settingsFile), []);
      }
      const manifests = existsSync(join(examples, project, 'manifests'))
        ? join(examples, project, 'manifests')
        : join(examples, project);
      for (const file of yamlFiles(manifests).filter((f) => f !== settingsFile)) {
        found.push(file);
        assert.deepEqual(problems(manifest, file), []);
      }
    }
    assert.ok(found.length >= 10, found.join(', '));
  });

  it('reject a misspelt field, a wrong type, a missing name and an unknown kind, naming where', () => {
    const file = { kind: 'File', metadata: { name: 'motd' }, spec: { path: '/tmp/motd', contnet: 'hi' } };
    assert.equal(manifest(file), false);
    assert.ok(
      manifest.errors?.some((e) => e.instancePath === '/spec' && e.params.additionalProperty === 'contnet'),
      JSON.stringify(manifest.errors),
    );
    assert.equal(
      manifest({ kind: 'File', metadata: { name: 'motd' }, spec: { path: '/m', mode: 644 } }),
      false,
    );
    assert.ok(manifest.errors?.some((e) => e.instancePath === '/spec/mode'));
    assert.equal(manifest({ kind: 'File', metadata: {}, spec: { path: '/m' } }), false);
    assert.equal(manifest({ kind: 'Widget', metadata: { name: 'w' }, spec: {} }), false);
    assert.ok(manifest.errors?.some((e) => e.instancePath === '/kind'));
    assert.equal(
      manifest({ kind: 'Directory', metadata: { name: 'd' }, spec: { path: '/d' }, lifecycle: { prune: 1 } }),
      false,
    );
    assert.equal(manifest({ kind: 'Directory', metadata: { name: 'd' }, spec: { path: '/d' } }), true);

    assert.equal(settings({ parallelism: 'many' }), false);
    assert.ok(settings.errors?.some((e) => e.instancePath === '/parallelism'));
    assert.equal(settings({ manifest: ['m'] }), false);
    assert.equal(settings({ manifests: ['m'], parallelism: 8 }), true);
  });

  it('setpoint schema --all prints every shipped schema by file name', () => {
    const r = cli(['schema', '--all'], { cwd: tempDir() });
    assert.equal(r.code, 0, r.stderr);
    const all = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.ok(Object.keys(all).length >= 8);
    for (const [name, schema] of Object.entries(all))
      assert.deepEqual(schema, JSON.parse(readFileSync(join(SCHEMAS, name), 'utf8')), name);
  });
});
