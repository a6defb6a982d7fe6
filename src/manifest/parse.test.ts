/**
 * Reading manifest files into raw documents: YAML (multi-document) and JSON
 * (one resource or a list), each document with its start position, and
 * syntax errors as diagnostics with line and column.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { Diagnostics } from './diagnostics.js';
import {
  isManifestFile,
  isTypeScriptManifest,
  lineColumnAt,
  parseManifestText,
  readManifestFile,
} from './parse.js';

function parse(file: string, text: string) {
  const diags = new Diagnostics();
  const docs = parseManifestText(file, text, diags);
  return { docs, diags: diags.items };
}

describe('parseManifestText: YAML', () => {
  it('gives each document its index and the line and column where it starts', () => {
    const text = [
      '# leading comment', // 1
      'kind: File', // 2
      'metadata: { name: a }', // 3
      '---', // 4
      '', // 5
      '# between', // 6
      'kind: File', // 7
      'metadata: { name: b }', // 8
      '---', // 9
      '  kind: File', // 10
      '  metadata: { name: c }', // 11
    ].join('\n');
    const { docs, diags } = parse('m.yaml', text);
    assert.deepEqual(diags, []);
    assert.deepEqual(
      docs.map((d) => ({
        index: d.index,
        line: d.line,
        column: d.column,
        name: (d.value as { metadata: { name: string } }).metadata.name,
      })),
      [
        { index: 0, line: 2, column: 1, name: 'a' },
        { index: 1, line: 7, column: 1, name: 'b' },
        { index: 2, line: 10, column: 3, name: 'c' },
      ],
    );
    assert.ok(docs.every((d) => d.file === 'm.yaml'));
  });

  it('skips empty documents (a trailing ---, or --- twice) but keeps the indices of the others', () => {
    const text = 'kind: File\n---\n---\nkind: Directory\n---\n';
    const { docs, diags } = parse('m.yaml', text);
    assert.deepEqual(diags, []);
    assert.deepEqual(
      docs.map((d) => [d.index, d.line, (d.value as { kind: string }).kind]),
      [
        [0, 1, 'File'],
        [2, 4, 'Directory'],
      ],
    );
  });

  it('reads an empty file as no documents, without a problem', () => {
    assert.deepEqual(parse('empty.yaml', ''), { docs: [], diags: [] });
    assert.deepEqual(parse('comments.yaml', '# nothing here\n'), { docs: [], diags: [] });
  });

  it('reads unquoted 0644 as a number (the YAML 1.2 core schema), which validation then explains', () => {
    const { docs } = parse('m.yaml', 'spec:\n  mode: 0644\n  on: yes\n');
    assert.deepEqual(docs[0].value, { spec: { mode: 644, on: 'yes' } });
  });

  it('reports a syntax error with its line, column and a snippet, and uses nothing from the file', () => {
    const text = 'kind: File\nmetadata:\n  name: a\n spec: [\n';
    const { docs, diags } = parse('bad.yaml', text);
    assert.deepEqual(docs, []);
    assert.equal(diags.length, 1);
    const d = diags[0];
    assert.equal(d.severity, 'error');
    assert.equal(d.code, 'SETPOINT_MANIFEST_SYNTAX');
    assert.equal(d.summary, 'YAML syntax error: bad indentation of a mapping entry');
    assert.equal(d.file, 'bad.yaml');
    assert.equal(d.line, 4);
    assert.equal(d.column, 2);
    assert.match(d.detail ?? '', /4 \|  spec: \[/);
    assert.equal(d.hint, 'fix the YAML syntax; nothing from this file was used');
  });

  it('reports an error in a later document even when the first one is valid', () => {
    const text = 'kind: File\n---\nkind: File\nmetadata:\n  name: "unterminated\n';
    const { docs, diags } = parse('bad.yaml', text);
    assert.deepEqual(docs, []);
    assert.equal(diags.length, 1);
    assert.match(
      diags[0].summary,
      /^YAML syntax error: unexpected end of the stream within a double quoted scalar/,
    );
    assert.equal(diags[0].line, 6);
    assert.equal(diags[0].column, 1);
  });

  it('reports a duplicated key as an error instead of keeping one of the values', () => {
    const { docs, diags } = parse('dup.yaml', 'kind: File\nkind: Directory\n');
    assert.deepEqual(docs, []);
    assert.equal(diags.length, 1);
    assert.match(diags[0].summary, /duplicated mapping key/);
    assert.equal(diags[0].line, 2);
  });
});

describe('parseManifestText: JSON', () => {
  it('reads one object as one document where it starts', () => {
    const { docs, diags } = parse('one.json', '{"kind": "File", "metadata": {"name": "a"}}');
    assert.deepEqual(diags, []);
    assert.deepEqual(docs, [
      { file: 'one.json', index: 0, line: 1, column: 1, value: { kind: 'File', metadata: { name: 'a' } } },
    ]);
    assert.deepEqual(
      parse('one.json', '\n\n  {"kind": "File"}').docs.map((d) => [d.line, d.column]),
      [[3, 3]],
    );
  });

  it('reads a list as one document per item, indexed in order, each at the line and column where it starts', () => {
    const text = [
      '[', // 1
      '  {"kind": "File", "note": "a [bracket], a {brace} and a \\"quote\\""},', // 2
      '  {', // 3
      '    "kind": "Directory", "list": [1, [2, 3], {"x": ","}]', // 4
      '  },', // 5
      '',
      '      {"kind": "Symlink"}', // 7
      ']',
    ].join('\n');
    const { docs, diags } = parse('list.json', text);
    assert.deepEqual(diags, []);
    assert.deepEqual(
      docs.map((d) => [d.index, d.line, d.column, (d.value as { kind: string }).kind]),
      [
        [0, 2, 3, 'File'],
        [1, 3, 3, 'Directory'],
        [2, 7, 7, 'Symlink'],
      ],
    );
  });

  it('places the items of a one-line list by column', () => {
    const { docs } = parse('list.json', JSON.stringify([{ kind: 'File' }, 'text', 42, null]));
    assert.deepEqual(
      docs.map((d) => [d.line, d.column, d.value]),
      [
        [1, 2, { kind: 'File' }],
        [1, 18, 'text'],
        [1, 25, 42],
        [1, 28, null],
      ],
    );
  });

  it('reads an empty list as no documents', () => {
    assert.deepEqual(parse('list.json', '[ ]'), { docs: [], diags: [] });
  });

  it('reports a syntax error at the line and column of the offending character', () => {
    const text = '{\n  "kind": "File",\n  "metadata": {,}\n}';
    const { docs, diags } = parse('bad.json', text);
    assert.deepEqual(docs, []);
    assert.equal(diags.length, 1);
    const d = diags[0];
    assert.equal(d.code, 'SETPOINT_MANIFEST_SYNTAX');
    assert.match(d.summary, /^JSON syntax error: /);
    assert.equal(d.file, 'bad.json');
    assert.equal(d.line, 3);
    assert.equal(d.column, 16);
    assert.equal(d.hint, 'fix the JSON syntax; nothing from this file was used');
  });

  it('reports truncated JSON without a position it cannot know', () => {
    const { docs, diags } = parse('cut.json', '');
    assert.deepEqual(docs, []);
    assert.equal(diags.length, 1);
    assert.equal(diags[0].code, 'SETPOINT_MANIFEST_SYNTAX');
    assert.equal(diags[0].file, 'cut.json');
  });
});

describe('readManifestFile', () => {
  it('reads a file from disk with its absolute path in every document', () => {
    const dir = tempDir();
    writeFiles(dir, { 'a.yml': 'kind: File\n---\nkind: Directory\n' });
    const diags = new Diagnostics();
    const docs = readManifestFile(join(dir, 'a.yml'), diags);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(
      docs.map((d) => [d.file, d.index, d.line]),
      [
        [join(dir, 'a.yml'), 0, 1],
        [join(dir, 'a.yml'), 1, 3],
      ],
    );
  });

  it('turns an unreadable file into a diagnostic, not an exception', () => {
    const diags = new Diagnostics();
    const file = join(tempDir(), 'missing.yaml');
    assert.deepEqual(readManifestFile(file, diags), []);
    assert.equal(diags.items.length, 1);
    assert.equal(diags.items[0].code, 'SETPOINT_MANIFEST_UNREADABLE');
    assert.equal(diags.items[0].file, file);
    assert.match(diags.items[0].summary, /^cannot read manifest: ENOENT/);
    assert.equal(diags.items[0].hint, 'check that the file exists and is readable');
  });
});

describe('isManifestFile and lineColumnAt', () => {
  it('accepts .yaml, .yml and .json only', () => {
    assert.deepEqual(['a.yaml', 'a.yml', 'a.json', 'a.txt', 'a.yaml.bak', 'yaml'].map(isManifestFile), [
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('accepts TypeScript modules, but not declaration files or tests', () => {
    const names = [
      'web.ts',
      'web.mts',
      'web.d.ts',
      'web.d.mts',
      'web.test.ts',
      'web.spec.mts',
      'web.tsx',
      'ts',
    ];
    assert.deepEqual(names.map(isManifestFile), [true, true, false, false, false, false, false, false]);
    assert.deepEqual(names.map(isTypeScriptManifest), [true, true, false, false, false, false, false, false]);
  });

  it('refuses to parse a TypeScript manifest as text, with a clear error', () => {
    const diags = new Diagnostics();
    assert.deepEqual(parseManifestText('/m/web.ts', 'export default [];\n', diags), []);
    assert.deepEqual(
      diags.items.map((d) => [d.code, d.file, d.summary]),
      [
        [
          'SETPOINT_MANIFEST_UNSUPPORTED',
          '/m/web.ts',
          'TypeScript manifests are not loaded by this command yet',
        ],
      ],
    );
  });

  it('converts an offset to a 1-based line and column', () => {
    const text = 'ab\ncde\n\nf';
    assert.deepEqual(lineColumnAt(text, 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumnAt(text, 1), { line: 1, column: 2 });
    assert.deepEqual(lineColumnAt(text, 3), { line: 2, column: 1 });
    assert.deepEqual(lineColumnAt(text, 5), { line: 2, column: 3 });
    assert.deepEqual(lineColumnAt(text, 8), { line: 4, column: 1 });
  });
});
