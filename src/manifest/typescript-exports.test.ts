import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { file } from '../builders/index.js';
import { collectDocuments, ExportShapeError, pickCallSite } from './typescript-exports.js';

const here = fileURLToPath(import.meta.url);
const values = (docs: Array<{ value: unknown }>) => docs.map((d) => d.value);

describe('collectDocuments', () => {
  const a = { kind: 'File', metadata: { name: 'a' }, spec: { path: '/a' } };
  const b = { kind: 'File', metadata: { name: 'b' }, spec: { path: '/b' } };

  it('takes a default array, flattening nested arrays and skipping null, undefined and false', async () => {
    assert.deepEqual(values(await collectDocuments({ default: [a, [b, null], undefined, false] }, here)), [
      a,
      b,
    ]);
  });

  it('takes a default document, a function or an async function returning them', async () => {
    assert.deepEqual(values(await collectDocuments({ default: a }, here)), [a]);
    assert.deepEqual(values(await collectDocuments({ default: () => [a, b] }, here)), [a, b]);
    assert.deepEqual(values(await collectDocuments({ default: async () => Promise.resolve([b]) }, here)), [
      b,
    ]);
  });

  it('without a default export, takes named documents and arrays, ignores other exports and counts a document once', async () => {
    const ns = { a, all: [a, b], helper: () => a, port: 8080, names: ['x'] };
    assert.deepEqual(values(await collectDocuments(ns, here)), [a, b]);
    assert.deepEqual(values(await collectDocuments({ helper: () => a }, here)), []);
  });

  it('unwraps CommonJS module.exports compiled from ESM syntax', async () => {
    assert.deepEqual(values(await collectDocuments({ __esModule: true, default: [a] }, here)), [a]);
    assert.deepEqual(values(await collectDocuments({ default: { __esModule: true, b } }, here)), [b]);
  });

  it('refuses a default export of another shape', async () => {
    await assert.rejects(collectDocuments({ default: 'File' }, here), (e: ExportShapeError) => {
      assert.equal(e.message, 'the default export is a string, not an array of resources');
      assert.match(e.hint, /export default an array of resources/);
      return true;
    });
    await assert.rejects(
      collectDocuments({ default: () => ({ name: 'x' }) }, here),
      /an object without a kind/,
    );
  });

  it('refuses functions inside documents, naming the resource and the field', async () => {
    const bad = { kind: 'File', metadata: { name: 'f' }, spec: { path: '/f', content: () => 'x' } };
    await assert.rejects(
      collectDocuments({ default: [bad] }, here),
      /File\/f has a function at spec\.content/,
    );
  });

  it("gives each builder's document the line of its call in the manifest, others none", async () => {
    const built = file('a', { path: '/a' });
    const [first, second] = await collectDocuments({ default: [built, b] }, here);
    assert.equal(typeof first.line, 'number');
    assert.ok(first.line! > 1);
    assert.equal(second.line, undefined);
    // Built here, but loaded as another file's document: no line in that file.
    const [elsewhere] = await collectDocuments({ default: [built] }, '/srv/other.ts');
    assert.equal(elsewhere.line, undefined);
  });
});

describe('pickCallSite', () => {
  it('takes the innermost frame in the manifest', () => {
    const isManifest = (f: string) => f === '/m/main.ts';
    const sites = [
      { file: '/m/lib.ts', line: 3, column: 10 },
      { file: '/m/main.ts', line: 12, column: 3 },
      { file: '/m/main.ts', line: 40, column: 1 },
    ];
    assert.deepEqual(pickCallSite(sites, isManifest), { file: '/m/main.ts', line: 12, column: 3 });
    assert.equal(pickCallSite(sites.slice(0, 1), isManifest), undefined);
  });
});
