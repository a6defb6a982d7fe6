import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { tempDir, writeFiles } from '../../test/helpers.js';
import {
  Diagnostics,
  loadDocuments,
  validateDocuments,
  type KindCatalog,
  type RawDocument,
} from '../manifest/index.js';
import { RenderedLocator } from './locate.js';
import { applyOverlays, renderDocuments, type RenderedDocument } from './overlays.js';
import type { Variables } from './variables.js';

const BASE = `kind: File
metadata:
  name: motd
spec:
  path: /srv/motd
  content: "hello\\n"
  mode: "0644"
---
kind: File
metadata:
  name: debug
  namespace: web
spec:
  path: /srv/debug
---
kind: Directory
metadata:
  name: srv
spec:
  path: /srv
  args: [a, b, c]
`;

/** A project on disk: base.yaml plus overlay files; returns parsed documents with real locations. */
function project(overlays: Record<string, string>, base = BASE) {
  const dir = tempDir();
  writeFiles(dir, {
    'base.yaml': base,
    ...Object.fromEntries(Object.entries(overlays).map(([k, v]) => [`overlays/${k}`, v])),
  });
  const diags = new Diagnostics();
  const docs = loadDocuments([join(dir, 'base.yaml')], diags);
  const over = Object.keys(overlays).length ? loadDocuments([join(dir, 'overlays')], diags) : [];
  assert.deepEqual(diags.items, []);
  return { dir, base: docs, overlays: over, file: (name: string) => join(dir, name) };
}

function render(p: { base: RawDocument[]; overlays: RawDocument[] }, locator = new RenderedLocator()) {
  const diags = new Diagnostics();
  const docs = applyOverlays(p.base, { overlays: p.overlays, locator }, diags);
  return { docs, diags, locator, values: docs.map((d) => d.value) };
}

const spec = (d: RenderedDocument) => (d.value as { spec: Record<string, unknown> }).spec;

describe('applyOverlays', () => {
  it('without overlays, returns the base documents as they are', () => {
    const p = project({});
    const { docs, diags } = render(p);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(docs, p.base);
  });

  it('patches a resource by id with merge-patch semantics: merge, null deletes, lists replace', () => {
    const p = project({
      'a.yaml': `patch: File/motd
with:
  metadata: { labels: { env: prod } }
  spec:
    content: "hello, prod\\n"
    mode: null
    owner: root
---
patch: Directory/default/srv
with: { spec: { args: [z] } }
`,
    });
    const before = structuredClone(p.base.map((d) => d.value));
    const { docs, diags } = render(p);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(docs[0].value, {
      kind: 'File',
      metadata: { name: 'motd', labels: { env: 'prod' } },
      spec: { path: '/srv/motd', content: 'hello, prod\n', owner: 'root' },
    });
    assert.deepEqual(spec(docs[2]), { path: '/srv', args: ['z'] });
    assert.deepEqual(
      p.base.map((d) => d.value),
      before,
      'the base documents are not modified',
    );
    // The document keeps its base location and records the overlay that patched it.
    assert.deepEqual([docs[0].file, docs[0].index, docs[0].line], [p.file('base.yaml'), 0, 1]);
    assert.deepEqual(docs[0].patchedBy, [{ file: p.file('overlays/a.yaml'), index: 0, line: 1, column: 1 }]);
    assert.equal(docs[1], p.base[1], 'an untouched document is the same object');
  });

  it('applies overlay documents in order, each seeing what the earlier ones did', () => {
    const p = project({
      'a.yaml': 'patch: File/motd\nwith: { spec: { content: one } }\n',
      'b.yaml': 'patch: File/motd\nwith: { spec: { content: two, mode: "0600" } }\n',
    });
    const { docs, diags } = render(p);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(spec(docs[0]), { path: '/srv/motd', content: 'two', mode: '0600' });
    assert.equal(docs[0].patchedBy!.length, 2);
  });

  it('deletes a resource by id, with the namespace when it is not the default', () => {
    const p = project({ 'a.yaml': 'delete: File/web/debug\n' });
    const { values, diags } = render(p);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(
      values.map((v) => (v as { metadata: { name: string } }).metadata.name),
      ['motd', 'srv'],
    );
  });

  it('adds a plain resource document, after the base, and later overlays may patch it', () => {
    const p = project({
      'a.yaml': 'kind: File\nmetadata: { name: banner }\nspec: { path: /srv/banner }\n',
      'b.yaml': 'patch: File/banner\nwith: { spec: { content: hi } }\n',
    });
    const { docs, diags } = render(p);
    assert.deepEqual(diags.items, []);
    assert.equal(docs.length, 4);
    assert.deepEqual(docs[3].value, {
      kind: 'File',
      metadata: { name: 'banner' },
      spec: { path: '/srv/banner', content: 'hi' },
    });
    assert.equal(docs[3].file, p.file('overlays/a.yaml'));
  });

  it('allows adding an id again after deleting it (a replacement)', () => {
    const p = project({
      'a.yaml': 'delete: File/motd\n---\nkind: File\nmetadata: { name: motd }\nspec: { path: /other }\n',
    });
    const { docs, diags } = render(p);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(spec(docs[2]), { path: '/other' });
  });

  it('refuses to add an id that exists, naming both locations', () => {
    const p = project({ 'a.yaml': '# dup\nkind: File\nmetadata:\n  name: motd\nspec: { path: /x }\n' });
    const { docs, diags } = render(p);
    assert.equal(docs.length, 3, 'the base one stays');
    const [d] = diags.items;
    assert.equal(d.code, 'SETPOINT_DUPLICATE_ID');
    assert.equal(d.summary, 'adds File/default/motd, which is already declared');
    assert.deepEqual([d.file, d.line, d.column], [p.file('overlays/a.yaml'), 4, 9]);
    assert.equal(d.detail, `already declared at ${p.file('base.yaml')}:1:1`);
    assert.match(d.hint!, /patch: File\/default\/motd/);
  });

  it('reports a patch of an unknown id where it is written, with a did-you-mean from the declared ids', () => {
    const p = project({
      'a.yaml': '\npatch: File/mtod\nwith: { spec: { mode: "0600" } }\n---\ndelete: File/debug\n',
    });
    const { docs, diags } = render(p);
    assert.equal(docs.length, 3);
    assert.equal(diags.items.length, 2);
    const [typo, namespace] = diags.items;
    assert.equal(typo.code, 'SETPOINT_OVERLAY_UNKNOWN_TARGET');
    assert.equal(typo.summary, 'patches File/default/mtod, which is not declared');
    assert.deepEqual(
      [typo.file, typo.line, typo.column, typo.field],
      [p.file('overlays/a.yaml'), 2, 8, 'patch'],
    );
    assert.equal(typo.hint, 'did you mean File/default/motd?');
    assert.equal(namespace.summary, 'deletes File/default/debug, which is not declared');
    assert.equal(namespace.hint, 'did you mean File/web/debug?', 'the same name in another namespace');
  });

  it('says when the target was deleted by an earlier overlay', () => {
    const p = project({
      'a.yaml': 'delete: File/motd\n',
      'b.yaml': 'patch: File/motd\nwith: { spec: { mode: "0600" } }\n',
    });
    const { diags } = render(p);
    assert.equal(diags.items[0].detail, `it was deleted by the overlay at ${p.file('overlays/a.yaml')}:1:1`);
  });

  it('validates the overlay format: unknown fields, missing with, a bad id, something else entirely', () => {
    const p = project({
      'a.yaml': [
        'patch: File/motd', // 1
        'whith: { spec: {} }', // 2
        '---',
        'patch: not-an-id', // 4
        'with: {}',
        '---',
        'delete: File/motd', // 7
        'with: {}', // 8
        '---',
        'name: what', // 10
        '---',
        '- a list', // 12
      ].join('\n'),
    });
    const { diags } = render(p);
    const got = diags.items.map((d) => [d.code, d.line, d.field, d.summary, d.hint]);
    assert.deepEqual(got, [
      ['SETPOINT_OVERLAY_INVALID', 1, 'with', 'required field is missing', undefined],
      ['SETPOINT_OVERLAY_INVALID', 2, 'whith', 'unknown field "whith"', 'did you mean "with"?'],
      [
        'SETPOINT_OVERLAY_INVALID',
        4,
        'patch',
        'not a resource id: expected Kind/name or Kind/namespace/name',
        undefined,
      ],
      ['SETPOINT_OVERLAY_INVALID', 8, 'with', 'unknown field "with"', 'a delete document has only delete'],
      [
        'SETPOINT_OVERLAY_INVALID',
        10,
        undefined,
        'an overlay document patches, deletes or adds a resource',
        undefined,
      ],
      [
        'SETPOINT_OVERLAY_INVALID',
        12,
        undefined,
        'an overlay document patches, deletes or adds a resource',
        undefined,
      ],
    ]);
    assert.equal(diags.items[4].found, 'a mapping of name');
    assert.equal(diags.items[0].resourceId, 'File/default/motd');
  });

  it('refuses a patch that would change the id', () => {
    const p = project({ 'a.yaml': 'patch: File/motd\nwith:\n  metadata: { name: other }\n' });
    const { docs, diags } = render(p);
    assert.equal(
      diags.items[0].summary,
      'a patch cannot change the id of File/default/motd (it would become File/default/other)',
    );
    assert.deepEqual([diags.items[0].line, diags.items[0].field], [3, 'with.metadata']);
    assert.equal(docs[0], p.base[0], 'the patch was not applied');
  });
});

describe('locations after rendering', () => {
  const catalog: KindCatalog = {
    kinds: () => ['File', 'Directory'],
    specSchema: (kind) =>
      kind === 'File'
        ? z.strictObject({
            path: z.string(),
            content: z.string().optional(),
            mode: z.string().optional(),
            owner: z.string().optional(),
          })
        : kind === 'Directory'
          ? z.strictObject({ path: z.string(), args: z.array(z.string()).optional() })
          : undefined,
  };

  it('points fields an overlay wrote at the overlay, and every other field at the base', () => {
    const p = project({
      'prod.yaml': [
        'patch: File/motd', // 1
        'with:', // 2
        '  spec:', // 3
        '    mode: 644', // 4: replaces a base value with a wrong type
        '    contnet: typo', // 5: introduces an unknown field
        '    owner: { name: root }', // 6: introduces a wrong type
        '---',
        'patch: Directory/srv', // 8
        'with: { spec: { args: [a, 1] } }', // 9
      ].join('\n'),
    });
    const locator = new RenderedLocator();
    const diags = new Diagnostics();
    const docs = renderDocuments(p.base, { variables: new Map(), overlays: p.overlays, locator }, diags);
    assert.deepEqual(diags.items, []);
    const v = validateDocuments(docs, { catalog, locator });
    const got = v.diagnostics.items.map((d) => [
      d.file === p.file('base.yaml') ? 'base' : 'overlay',
      d.line,
      d.column,
      d.field,
    ]);
    assert.deepEqual(got, [
      ['overlay', 4, 11, 'spec.mode'],
      ['overlay', 6, 12, 'spec.owner'],
      ['overlay', 5, 5, 'spec.contnet'],
      ['overlay', 9, 27, 'spec.args[1]'],
    ]);
    // The resource itself keeps its base location.
    const motd = docs[0];
    assert.deepEqual([motd.file, motd.line], [p.file('base.yaml'), 1]);
  });

  it('keeps untouched fields of a patched document at the base', () => {
    const base = BASE.replace('mode: "0644"', 'mode: 644');
    const p = project({ 'prod.yaml': 'patch: File/motd\nwith: { spec: { content: prod } }\n' }, base);
    const locator = new RenderedLocator();
    const docs = renderDocuments(
      p.base,
      { variables: new Map(), overlays: p.overlays, locator },
      new Diagnostics(),
    );
    const [d] = validateDocuments(docs, { catalog, locator }).diagnostics.items;
    assert.deepEqual([d.file, d.line, d.column, d.field], [p.file('base.yaml'), 7, 9, 'spec.mode']);
  });

  it('forgets an overlay location when a later overlay deletes or replaces the field', () => {
    const p = project({
      'a.yaml': 'patch: File/motd\nwith: { spec: { owner: { deep: 1 } } }\n',
      'b.yaml': '\n\npatch: File/motd\nwith: { spec: { owner: 7 } }\n',
    });
    const locator = new RenderedLocator();
    const docs = renderDocuments(
      p.base,
      { variables: new Map(), overlays: p.overlays, locator },
      new Diagnostics(),
    );
    const [d] = validateDocuments(docs, { catalog, locator }).diagnostics.items;
    assert.deepEqual([d.file, d.line, d.field], [p.file('overlays/b.yaml'), 4, 'spec.owner']);
  });

  it('interpolates variables in the base and in the overlays, each at its own location', () => {
    const p = project(
      { 'a.yaml': 'patch: File/motd\nwith:\n  spec:\n    content: "${greeting}, ${nope}"\n' },
      BASE.replace('/srv/motd', '/srv/${dir}'),
    );
    const variables: Variables = new Map([['greeting', { value: 'hi', from: 'variables' }]]);
    const diags = new Diagnostics();
    const docs = renderDocuments(p.base, { variables, overlays: p.overlays }, diags);
    assert.deepEqual(
      diags.items.map((d) => [
        d.file === p.file('base.yaml') ? 'base' : 'overlay',
        d.line,
        d.column,
        d.summary,
        d.field,
      ]),
      [
        ['base', 5, 9, 'undefined variable "dir"', 'spec.path'],
        ['overlay', 4, 14, 'undefined variable "nope"', 'with.spec.content'],
      ],
    );
    assert.equal(spec(docs[0]).content, 'hi, ${nope}');
  });
});
