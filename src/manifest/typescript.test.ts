import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventually, waitFor } from '../../test/helpers.js';
import { Diagnostics } from './diagnostics.js';
import {
  closeTypeScriptLoader,
  loadTypeScriptManifest,
  loadTypeScriptManifestOrDiagnose,
  moduleFormat,
  TypeScriptManifestError,
} from './typescript.js';

const builders = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'builders', 'index.ts');
const root = mkdtempSync(join(tmpdir(), 'setpoint-ts-'));
after(async () => {
  await closeTypeScriptLoader();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** Writes files into a fresh folder; `type: module` adds a package.json saying so. */
function project(files: Record<string, string>, type?: 'module'): string {
  const dir = join(root, `p${++n}`);
  mkdirSync(dir);
  if (type) writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The line of `marker` in `text`. */
const lineOf = (text: string, marker: string) => text.split('\n').findIndex((l) => l.includes(marker)) + 1;

async function loadError(file: string, timeoutMs?: number): Promise<TypeScriptManifestError> {
  try {
    await loadTypeScriptManifest(file, timeoutMs ? { timeoutMs } : {});
  } catch (err) {
    assert.ok(err instanceof TypeScriptManifestError, String(err));
    return err;
  }
  assert.fail(`${file} loaded`);
}

describe('loadTypeScriptManifest: export shapes', () => {
  it('loads a default array from an ES module .ts, each document at its builder call', async () => {
    const text = [
      `import { directory, file } from ${JSON.stringify(builders)};`,
      `const web = directory('web', { path: '/srv/web' });`,
      `export default [`,
      `  web,`,
      `  file('motd', { path: '/srv/web/motd', content: 'hi\\n' }, { dependsOn: [web] }),`,
      `  { kind: 'File', metadata: { name: 'plain' }, spec: { path: '/srv/plain' } },`,
      `];`,
    ].join('\n');
    const dir = project({ 'web.ts': text }, 'module');
    const docs = await loadTypeScriptManifest(join(dir, 'web.ts'));
    assert.deepEqual(
      docs.map((d) => [d.file, d.index, d.line, d.column]),
      [
        [join(dir, 'web.ts'), 0, 2, 13],
        [join(dir, 'web.ts'), 1, 5, 3],
        [join(dir, 'web.ts'), 2, 1, 1],
      ],
    );
    assert.deepEqual(docs[1].value, {
      kind: 'File',
      metadata: { name: 'motd' },
      spec: { path: '/srv/web/motd', content: 'hi\n' },
      dependsOn: ['Directory/web'],
    });
  });

  it('calls an async default export function (.mts)', async () => {
    const text = [
      `import { file } from ${JSON.stringify(builders)};`,
      `export default async () => {`,
      `  await new Promise((r) => setTimeout(r, 10));`,
      `  return ['a', 'b'].map((name) => file(name, { path: '/srv/' + name })); // <- map`,
      `};`,
    ].join('\n');
    const dir = project({ 'm.mts': text });
    const docs = await loadTypeScriptManifest(join(dir, 'm.mts'));
    assert.deepEqual(
      docs.map((d) => [(d.value as { metadata: { name: string } }).metadata.name, d.line]),
      [
        ['a', lineOf(text, '// <- map')],
        ['b', lineOf(text, '// <- map')],
      ],
    );
  });

  it('collects named exports of a CommonJS .ts (no "type": "module"), with call-site lines', async () => {
    const text = [
      `import { file, exec } from ${JSON.stringify(builders)};`,
      ``,
      `export const motd = file('motd', { path: '/etc/motd' });`,
      `export const jobs = [exec('a', { check: 'true', apply: 'true' }), motd];`,
      `export function helper() { return 1; }`,
    ].join('\n');
    const dir = project({ 'named.ts': text });
    assert.equal(moduleFormat(join(dir, 'named.ts')), 'commonjs');
    const docs = await loadTypeScriptManifest(join(dir, 'named.ts'));
    assert.deepEqual(
      docs.map((d) => [(d.value as { kind: string }).kind, d.line]),
      [
        ['Exec', 4],
        ['File', 3],
      ],
    );
  });

  it("places a document a helper module built at the manifest's call of the helper", async () => {
    const helper = [
      `import { file } from ${JSON.stringify(builders)};`,
      `export const site = (name: string) => file(name, { path: '/srv/' + name });`,
    ].join('\n');
    const main = [
      `import { site } from './helper.js';`,
      `export default [`,
      `  site('a'),`,
      `  site('b'),`,
      `];`,
    ].join('\n');
    const dir = project({ 'helper.ts': helper, 'main.ts': main }, 'module');
    const docs = await loadTypeScriptManifest(join(dir, 'main.ts'));
    assert.deepEqual(
      docs.map((d) => [d.file, d.line]),
      [
        [join(dir, 'main.ts'), 3],
        [join(dir, 'main.ts'), 4],
      ],
    );
    // Loaded as a manifest itself, the helper declares nothing.
    assert.deepEqual(await loadTypeScriptManifest(join(dir, 'helper.ts')), []);
  });

  it('finds call sites when the manifest is loaded through a symlinked folder', async () => {
    const text = `import { file } from ${JSON.stringify(builders)};\n\nexport default [file('a', { path: '/a' })];\n`;
    const dir = project({ 'm.ts': text }, 'module');
    symlinkSync(dir, `${dir}-link`);
    const [doc] = await loadTypeScriptManifest(join(`${dir}-link`, 'm.ts'));
    assert.deepEqual([doc.file, doc.line], [join(`${dir}-link`, 'm.ts'), 3]);
  });

  it('sees edits between loads, also in the modules a manifest imports', async () => {
    const main = `import { NAME } from './name.js';\nexport default [{ kind: 'File', metadata: { name: NAME }, spec: { path: '/x' } }];\n`;
    for (const type of ['module', undefined] as const) {
      const dir = project({ 'main.ts': main, 'name.ts': `export const NAME = 'one';\n` }, type);
      const first = await loadTypeScriptManifest(join(dir, 'main.ts'));
      writeFileSync(join(dir, 'name.ts'), `export const NAME = 'two';\n`);
      const second = await loadTypeScriptManifest(join(dir, 'main.ts'));
      const name = (docs: typeof first) => (docs[0].value as { metadata: { name: string } }).metadata.name;
      assert.deepEqual([name(first), name(second)], ['one', 'two'], `format ${type ?? 'commonjs'}`);
    }
  });
});

describe('loadTypeScriptManifest: module reuse', () => {
  it('loads a package once per worker, but the manifest afresh every time', async () => {
    const dir = project(
      {
        'main.ts': [
          `import { next } from 'counter';`,
          `const local = (globalThis as { localRuns?: number }).localRuns = ((globalThis as { localRuns?: number }).localRuns ?? 0) + 1;`,
          `export default [{ kind: 'File', metadata: { name: 'p' + next() + '-m' + local }, spec: {} }];`,
        ].join('\n'),
      },
      'module',
    );
    mkdirSync(join(dir, 'node_modules', 'counter'), { recursive: true });
    writeFileSync(
      join(dir, 'node_modules', 'counter', 'package.json'),
      '{"name":"counter","type":"module","main":"index.js"}',
    );
    writeFileSync(
      join(dir, 'node_modules', 'counter', 'index.js'),
      'let n = 0;\nexport const next = () => ++n;\n',
    );
    await closeTypeScriptLoader();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [doc] = await loadTypeScriptManifest(join(dir, 'main.ts'));
      names.push((doc.value as { metadata: { name: string } }).metadata.name);
    }
    // One instance of the package counts on; the manifest's module body ran each time.
    assert.deepEqual(names, ['p1-m1', 'p2-m2', 'p3-m3']);
  });
});

describe('loadTypeScriptManifest: errors', () => {
  it('a syntax error names the line and column', async () => {
    for (const type of ['module', undefined] as const) {
      const dir = project({ 'bad.ts': `const a = 1;\n\nexport default [ { kind: 'File' ];\n` }, type);
      const e = await loadError(join(dir, 'bad.ts'));
      assert.equal(e.code, 'SETPOINT_MANIFEST_SYNTAX');
      assert.equal(e.message, 'TypeScript syntax error: Expected "}" but found "]"');
      assert.deepEqual([e.line, e.column], [3, 32], `format ${type ?? 'commonjs'}`);
      assert.equal(e.hint, 'fix the syntax; nothing from this file was used');
    }
  });

  it('an error thrown while loading names the line that threw', async () => {
    const text = `const ports: number[] = [];\n\nif (ports.length === 0) {\n  throw new RangeError('no ports');\n}\nexport default [];\n`;
    for (const type of ['module', undefined] as const) {
      const dir = project({ 'throws.ts': text }, type);
      const e = await loadError(join(dir, 'throws.ts'));
      assert.equal(e.code, 'SETPOINT_MANIFEST_LOAD_FAILED');
      assert.equal(e.message, 'the manifest threw while loading: RangeError: no ports');
      assert.equal(e.line, 4, `format ${type ?? 'commonjs'}`);
      assert.match(e.detail ?? '', new RegExp(`at ${join(dir, 'throws.ts')}:4:`));
    }
  });

  it('a builder given an unknown option fails at its call', async () => {
    const text = `import { file } from ${JSON.stringify(builders)};\nexport default [\n  file('m', { path: '/m' }, { dependOn: [] } as never),\n];\n`;
    const dir = project({ 'opt.ts': text }, 'module');
    const e = await loadError(join(dir, 'opt.ts'));
    assert.match(e.message, /TypeError: File\/m: unknown option "dependOn"/);
    assert.equal(e.line, 3);
  });

  it('a default export of the wrong shape names the export line', async () => {
    const dir = project({ 'shape.ts': `const x = 1;\nexport default { name: 'motd', x };\n` }, 'module');
    const e = await loadError(join(dir, 'shape.ts'));
    assert.equal(
      e.message,
      'wrong exports: the default export is an object without a kind, not an array of resources',
    );
    assert.equal(e.line, 2);
    assert.match(e.hint, /export default an array of resources/);
  });

  it('a missing import names the import line and what to do', async () => {
    for (const type of ['module', undefined] as const) {
      const rel = project(
        { 'rel.ts': `// helpers\nimport { x } from './nothere.js';\nexport default [x];\n` },
        type,
      );
      const e1 = await loadError(join(rel, 'rel.ts'));
      assert.match(e1.message, /^cannot load TypeScript manifest: Cannot find module .*nothere\.js/);
      assert.equal(e1.line, 2, `format ${type ?? 'commonjs'}`);
      assert.match(e1.hint, /check the import path/);
    }
    const pkg = project(
      { 'pkg.ts': `import { file } from 'setpoint';\nexport default [file('a', { path: '/a' })];\n` },
      'module',
    );
    const e2 = await loadError(join(pkg, 'pkg.ts'));
    assert.equal(e2.line, 1);
    assert.match(e2.hint, /npm install --save-dev setpoint/);
  });

  it('stops a manifest that never finishes, and one that exits, and goes on loading', async () => {
    const dir = project(
      {
        'hang.ts': `await new Promise(() => {});\nexport default [];\n`,
        'exit.ts': `process.exit(3);\nexport default [];\n`,
        'ok.ts': `export default [{ kind: 'File', metadata: { name: 'ok' }, spec: { path: '/ok' } }];\n`,
      },
      'module',
    );
    const hang = await loadError(join(dir, 'hang.ts'), 500);
    assert.equal(hang.message, 'the manifest did not finish loading within 500 ms');
    const exit = await loadError(join(dir, 'exit.ts'));
    assert.equal(exit.message, 'the manifest stopped the loader (exit code 3)');
    assert.equal(exit.hint, 'a manifest must not call process.exit');
    assert.equal((await loadTypeScriptManifest(join(dir, 'ok.ts'))).length, 1);
  });

  it('survives a manifest whose timer throws after it loaded', async () => {
    const dir = project(
      {
        // The timer leaves a mark just before it throws, so the test knows the throw happened.
        'late.ts': `import { writeFileSync } from 'node:fs';\nsetTimeout(() => { writeFileSync(new URL('./thrown', import.meta.url), ''); throw new Error('late'); }, 20);\nexport default [];\n`,
        'ok.ts': `export default [{ kind: 'File', metadata: { name: 'ok' }, spec: { path: '/ok' } }];\n`,
      },
      'module',
    );
    const mark = join(dir, 'thrown');
    assert.deepEqual(await loadTypeScriptManifest(join(dir, 'late.ts')), []);
    await waitFor(() => existsSync(mark), 'the late timer to throw', 10_000);
    // The loader replaces the worker the throw stopped; manifests load again (a load issued while it dies may fail).
    const docs = await eventually(
      () => loadTypeScriptManifest(join(dir, 'ok.ts')),
      'a manifest to load after the crash',
      10_000,
    );
    assert.equal(docs.length, 1);
  });

  it('keeps answering after many failed imports in a row', async () => {
    const dir = project(
      {
        'rel.ts': `import { x } from './nothere.js';\nexport default [x];\n`,
        'ok.ts': 'export default [];\n',
      },
      'module',
    );
    for (let i = 0; i < 8; i++) await loadError(join(dir, 'rel.ts'));
    assert.deepEqual(await loadTypeScriptManifest(join(dir, 'ok.ts')), []);
  });
});

describe('the loader worker', () => {
  it('does not hold a finished command open (the idle worker is unreferenced)', async () => {
    const dir = project({ 'ok.ts': 'export default [];\n' }, 'module');
    const loader = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'typescript.ts')).href;
    const code = `const { loadTypeScriptManifest } = await import(${JSON.stringify(loader)});
await loadTypeScriptManifest(${JSON.stringify(join(dir, 'ok.ts'))});
console.log(Date.now());`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const [status] = (await once(child, 'exit')) as [number];
    const lingered = Date.now() - Number(out.trim());
    assert.equal(status, 0);
    // The worker stops itself after 5 s idle; a referenced worker would keep the process that long.
    assert.ok(lingered < 2500, `the process lingered ${lingered} ms after the load`);
  });

  it('replaces its worker after many loads and keeps loading', async () => {
    const dir = project(
      { 'ok.ts': `export default [{ kind: 'File', metadata: { name: 'a' }, spec: {} }];\n` },
      'module',
    );
    for (let i = 0; i < 60; i++) assert.equal((await loadTypeScriptManifest(join(dir, 'ok.ts'))).length, 1);
  });

  it('answers loads started together one after another', async () => {
    const dir = project({ 'a.ts': 'export default [];\n', 'b.mts': 'export default [];\n' }, 'module');
    const results = await Promise.all(
      [1, 2, 3].flatMap(() => [join(dir, 'a.ts'), join(dir, 'b.mts')]).map((f) => loadTypeScriptManifest(f)),
    );
    assert.deepEqual(results, [[], [], [], [], [], []]);
  });
});

describe('loadTypeScriptManifestOrDiagnose', () => {
  it('reports problems as diagnostics and returns no documents', async () => {
    const dir = project({ 'bad.ts': `export default [ { kind: 'File' ];\n` }, 'module');
    const diags = new Diagnostics();
    assert.deepEqual(await loadTypeScriptManifestOrDiagnose(join(dir, 'bad.ts'), diags), []);
    assert.deepEqual(
      diags.items.map((d) => [d.severity, d.code, d.file, d.line]),
      [['error', 'SETPOINT_MANIFEST_SYNTAX', join(dir, 'bad.ts'), 1]],
    );
    await loadTypeScriptManifestOrDiagnose(join(dir, 'missing.ts'), diags);
    assert.deepEqual(diags.items[1].code, 'SETPOINT_MANIFEST_UNREADABLE');
  });
});

describe('moduleFormat', () => {
  it('follows the extension, then the nearest package.json', () => {
    const esm = project({}, 'module');
    mkdirSync(join(esm, 'sub'));
    assert.equal(moduleFormat(join(esm, 'sub', 'a.ts')), 'module');
    assert.equal(moduleFormat(join(esm, 'a.cts')), 'commonjs');
    const cjs = project({ 'package.json': '{"name":"x"}' });
    assert.equal(moduleFormat(join(cjs, 'a.ts')), 'commonjs');
    assert.equal(moduleFormat(join(cjs, 'a.mts')), 'module');
  });
});
