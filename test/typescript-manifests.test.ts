// TypeScript manifests: typed builders from the published package, loaded by the
// TypeScript loader and validated like YAML; a misspelt field is a compile error
// (tsc on a user's project) and a located diagnostic (validation).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Diagnostics, formatDiagnostic, validateDocuments } from '../src/manifest/index.js';
import { closeTypeScriptLoader, loadTypeScriptManifestOrDiagnose } from '../src/manifest/typescript.js';
import { defaultRegistry } from '../src/providers/index.js';
import { ROOT, cli, tempDir, writeFiles } from './helpers.js';

const GOOD = `import { directory, file, proc, type ResourceDocument } from 'setpoint';

const web = directory('web', { path: '/srv/web', mode: '0755' }, { namespace: 'web' });

export default [
  web,
  file('motd', { path: '/srv/web/motd', content: 'hello\\n', mode: '0644' }, { namespace: 'web', dependsOn: [web] }),
  proc('api', { command: 'node', args: ['server.js'], replicas: 2 }, { labels: { owner: 'team-web' } }),
] satisfies ResourceDocument[];
`;

// Line 7 holds the builder call with the misspelt field.
const MISSPELT = `import { directory, file } from 'setpoint';

const web = directory('web', { path: '/srv/web' }, { namespace: 'web' });

export default [
  web,
  file('motd', { path: '/srv/web/motd', contnet: 'hello\\n' }, { namespace: 'web', dependsOn: [web] }),
];
`;

// A plug-in's kind: a builder from its provider, and KindSpecs declared for resource().
const PLUGIN = `import * as z from 'zod';
import { defineKind, resource, type Provider } from 'setpoint';

const WidgetSchema = z.strictObject({ size: z.number(), colour: z.string().default('red') });
export const widgetProvider = {
  kind: 'Widget',
  description: 'A widget.',
  schema: WidgetSchema,
  async observe() { return undefined; },
  diff() { return []; },
} satisfies Provider<z.infer<typeof WidgetSchema>>;

declare module 'setpoint' {
  interface KindSpecs { Widget: z.input<typeof WidgetSchema> }
}

const widget = defineKind(widgetProvider);
export default [
  widget('a', { size: 1 }),
  resource('Widget', 'b', { size: 2, colour: 'blue' }),
  widget('c', { size: 1, color: 'blue' }),
  resource('Widget', 'd', { sise: 2 }),
];
`;

/** A user's project: `import ... from 'setpoint'` resolves to this repository (built). */
function userProject(): string {
  const dir = tempDir('setpoint-ts-');
  writeFiles(dir, {
    'package.json': JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
      include: ['manifests'],
    }),
    'manifests/good.ts': GOOD,
    'manifests/misspelt.ts': MISSPELT,
    'manifests/plugin.ts': PLUGIN,
  });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'setpoint'));
  // A plug-in brings its own zod; here it is setpoint's.
  symlinkSync(join(ROOT, 'node_modules', 'zod'), join(dir, 'node_modules', 'zod'));
  return dir;
}

after(() => closeTypeScriptLoader());

async function validateFile(file: string) {
  const diags = new Diagnostics();
  const docs = await loadTypeScriptManifestOrDiagnose(file, diags);
  const result = validateDocuments(docs, { catalog: defaultRegistry() });
  diags.addAll(result.diagnostics.items);
  return { resources: result.resources, diagnostics: diags };
}

describe('TypeScript manifests', () => {
  const dir = userProject();

  it('a misspelt field fails validation, located at the builder call in the .ts file', async () => {
    const file = join(dir, 'manifests', 'misspelt.ts');
    const { resources, diagnostics } = await validateFile(file);
    assert.deepEqual(
      resources.map((r) => r.id),
      ['Directory/web/web'],
    );
    assert.equal(diagnostics.items.length, 1, diagnostics.items.map(formatDiagnostic).join('\n'));
    const [d] = diagnostics.items;
    assert.equal(d.code, 'SETPOINT_MANIFEST_INVALID');
    assert.equal(d.file, file);
    assert.equal(d.line, 7);
    assert.equal(d.column, 3);
    assert.equal(d.resourceId, 'File/web/motd');
    assert.equal(d.field, 'spec.contnet');
    assert.equal(
      formatDiagnostic(d),
      `error: ${file}:7:3: File/web/motd: spec.contnet: unknown field "contnet"\n  hint: did you mean "content"?`,
    );
  });

  it('a correct manifest validates; its resources are declared at their builder calls', async () => {
    const file = join(dir, 'manifests', 'good.ts');
    const { resources, diagnostics } = await validateFile(file);
    assert.deepEqual(diagnostics.items, []);
    assert.deepEqual(
      resources.map((r) => [r.id, r.origin.file, r.origin.line, r.dependsOn]),
      [
        ['Directory/web/web', file, 3, []],
        ['File/web/motd', file, 7, ['Directory/web/web']],
        ['Process/default/api', file, 8, []],
      ],
    );
    assert.equal(resources[2].metadata.labels.owner, 'team-web');
  });

  it('the built package loads it the same way (compiled worker)', async () => {
    const dist = (await import(
      pathToFileURL(join(ROOT, 'dist', 'index.js')).href
    )) as typeof import('../src/index.js');
    const docs = await dist.loadTypeScriptManifest(join(dir, 'manifests', 'misspelt.ts'));
    assert.deepEqual(
      docs.map((d) => [d.line, d.column, (d.value as { kind: string }).kind]),
      [
        [3, 13, 'Directory'],
        [7, 3, 'File'],
      ],
    );
  });

  it('the published types: tsc accepts correct manifests and names each misspelt field', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS'));
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(errors.length, 3, r.stdout);
    assert.match(
      errors[0],
      /^manifests\/misspelt\.ts\(7,\d+\): error TS2561: .*'contnet' does not exist .*Did you mean to write 'content'\?/,
    );
    assert.match(
      errors[1],
      /^manifests\/plugin\.ts\(21,\d+\): error TS2561: .*'color' does not exist .*Did you mean to write 'colour'\?/,
    );
    assert.match(
      errors[2],
      /^manifests\/plugin\.ts\(22,\d+\): error TS2353: .*'sise' does not exist in type '\{ size: number; colour\?: string/,
    );
  });

  it('setpoint validate -f FILE.ts reports the misspelt field', () => {
    const r = cli(['validate', '-f', join(dir, 'manifests', 'misspelt.ts')], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /misspelt\.ts:7:3: File\/web\/motd: spec\.contnet: unknown field "contnet"/);
    assert.match(r.stderr, /hint: did you mean "content"\?/);
  });
});
