/**
 * Manifest validation: raw documents to resources, and every problem as a
 * diagnostic naming file, line, column, resource id and field, with what was
 * expected, what was found and a hint. Files are real (the locator reads
 * them back for exact positions); kinds come from a small fake catalog with
 * strict zod schemas, plus one check against the built-in registry.
 */
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { defaultRegistry } from '../providers/index.js';
import { Diagnostics, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { loadDocuments } from './load.js';
import { FieldLocator } from './locate.js';
import { readManifestFile } from './parse.js';
import {
  checkResourceSet,
  formatPath,
  validateDocuments,
  validateOne,
  type KindCatalog,
  type ValidateOptions,
} from './validate.js';

const FileSpec = z.strictObject({
  path: z.string(),
  ensure: z.enum(['present', 'absent']).default('present'),
  content: z.string().optional(),
  mode: z
    .string()
    .regex(/^0?[0-7]{3,4}$/, 'an octal mode string such as "0644"')
    .optional(),
  options: z.strictObject({ backup: z.boolean(), suffix: z.string().optional() }).optional(),
});
const DirectorySpec = z.strictObject({ path: z.string(), recursive: z.boolean().optional() });
const schemas: Record<string, z.ZodType> = {
  File: FileSpec,
  Directory: DirectorySpec,
  Symlink: z.strictObject({ path: z.string(), target: z.string() }),
};
const catalog: KindCatalog = {
  kinds: () => Object.keys(schemas).sort(),
  specSchema: (kind) => schemas[kind],
};

/** Writes the files, loads and validates everything; paths in diagnostics come back relative to the folder. */
function run(files: Record<string, string>, options: Partial<ValidateOptions> = {}) {
  const dir = tempDir();
  writeFiles(dir, files);
  const diags = new Diagnostics();
  const docs = loadDocuments([dir], diags);
  const result = validateDocuments(docs, { catalog, ...options });
  diags.addAll(result.diagnostics.items);
  const rel = (d: Diagnostic): Diagnostic => {
    const out: Diagnostic = { ...d, file: d.file && relative(dir, d.file) };
    if (d.detail !== undefined) out.detail = d.detail.split(dir + '/').join('');
    // Keys whose value is undefined say nothing; drop them so deepEqual reads as the diagnostic does.
    for (const k of Object.keys(out) as Array<keyof Diagnostic>) if (out[k] === undefined) delete out[k];
    return out;
  };
  // The CLI shows problems sorted by position; zod reports a parent's unknown keys after its children's problems.
  return { dir, resources: result.resources, diags: sortDiagnostics(diags.items).map(rel) };
}

const motd = ['kind: File', 'metadata:', '  name: motd', 'spec:', '  path: /srv/motd', ''].join('\n');

describe('validateDocuments: resources', () => {
  it('builds a resource with its id, key, metadata, parsed spec, dependencies, lifecycle, origin and digest', () => {
    const { dir, resources, diags } = run({
      'web.yaml': [
        'kind: Directory',
        'metadata: { name: srv, namespace: web }',
        'spec: { path: /srv }',
        '---',
        'kind: File', // 5
        'metadata:',
        '  name: motd',
        '  namespace: web',
        '  labels: { owner: team-web, tier: critical }',
        'spec:',
        '  path: /srv/web/motd',
        '  content: "hello\\n"',
        '  mode: "0644"',
        'dependsOn: [Directory/web/srv]',
        'lifecycle:',
        '  prune: true',
        '  ignoreChanges: [spec.mode]',
        '  priority: high',
      ].join('\n'),
    });
    assert.deepEqual(diags, []);
    assert.equal(resources.length, 2);
    const r = resources[1];
    assert.equal(r.id, 'File/web/motd');
    assert.deepEqual(r.key, { kind: 'File', namespace: 'web', name: 'motd' });
    assert.deepEqual(r.metadata, {
      name: 'motd',
      namespace: 'web',
      labels: { owner: 'team-web', tier: 'critical' },
      annotations: {},
    });
    // The schema's default (ensure) is applied.
    assert.deepEqual(r.spec, { path: '/srv/web/motd', ensure: 'present', content: 'hello\n', mode: '0644' });
    assert.deepEqual(r.dependsOn, ['Directory/web/srv']);
    assert.deepEqual(r.lifecycle, { prune: true, ignoreChanges: ['spec.mode'], priority: 'high' });
    assert.deepEqual(r.origin, { file: join(dir, 'web.yaml'), line: 5, column: 1, index: 1 });
    assert.match(r.digest, /^[0-9a-f]{64}$/);
    assert.equal(resources[0].id, 'Directory/web/srv');
    assert.deepEqual(resources[0].lifecycle, {});
  });

  it('gives the same digest to the same declaration and another digest when a declared field changes', () => {
    const a = run({ 'a.yaml': motd }).resources[0];
    const b = run({ 'b.yaml': '# moved, same declaration\n' + motd }).resources[0];
    const c = run({ 'c.yaml': motd + 'lifecycle: { prune: true }\n' }).resources[0];
    const d = run({ 'd.yaml': motd.replace('/srv/motd', '/srv/motd2') }).resources[0];
    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, c.digest);
    assert.notEqual(a.digest, d.digest);
  });

  it('treats a missing spec as an empty one, so required spec fields are reported', () => {
    const { diags } = run({ 'a.yaml': 'kind: Directory\nmetadata:\n  name: srv\n' });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'required field is missing',
        file: 'a.yaml',
        line: 1,
        column: 1,
        resourceId: 'Directory/default/srv',
        field: 'spec.path',
        expected: 'string',
        found: 'nothing',
      },
    ]);
  });
});

describe('validateDocuments: ids and dependencies', () => {
  it('normalises Kind/name in dependsOn to Kind/default/name and keeps Kind/namespace/name', () => {
    const { resources, diags } = run({
      'a.yaml': [
        'kind: Directory\nmetadata: { name: srv }\nspec: { path: /srv }',
        'kind: Directory\nmetadata: { name: srv, namespace: web }\nspec: { path: /web }',
        'kind: File\nmetadata: { name: motd }\nspec: { path: /srv/motd }\ndependsOn: [Directory/srv, Directory/web/srv, Directory/default/srv]',
      ].join('\n---\n'),
    });
    assert.deepEqual(diags, []);
    assert.deepEqual(resources[2].dependsOn, [
      'Directory/default/srv',
      'Directory/web/srv',
      'Directory/default/srv',
    ]);
  });

  it('puts resources and Kind/name dependencies in the default namespace it is given', () => {
    const { resources, diags } = run(
      {
        'a.yaml': [
          'kind: Directory\nmetadata: { name: srv }\nspec: { path: /srv }',
          'kind: File\nmetadata: { name: motd }\nspec: { path: /srv/motd }\ndependsOn: [Directory/srv, Directory/other/x]',
          'kind: Directory\nmetadata: { name: x, namespace: other }\nspec: { path: /x }',
        ].join('\n---\n'),
      },
      { defaultNamespace: 'web' },
    );
    assert.deepEqual(diags, []);
    assert.deepEqual(
      resources.map((r) => r.id),
      ['Directory/web/srv', 'File/web/motd', 'Directory/other/x'],
    );
    assert.deepEqual(resources[1].dependsOn, ['Directory/web/srv', 'Directory/other/x']);
  });

  it('reports a dependency on an undeclared id at the list item, with a did-you-mean for a near miss', () => {
    const { diags, resources } = run({
      'a.yaml': [
        'kind: File', // 1
        'metadata:',
        '  name: motd',
        'spec:',
        '  path: /motd', // 5
        '---',
        'kind: File', // 7
        'metadata:',
        '  name: banner',
        'spec:',
        '  path: /banner',
        'dependsOn:', // 12
        '  - File/mtod', // 13
        '  - Directory/web/nope', // 14
        '  - bad//id', // 15
      ].join('\n'),
    });
    assert.equal(
      resources.length,
      2,
      'resources with bad dependencies are still returned; the errors block the run',
    );
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MISSING_DEPENDENCY',
        summary: 'depends on File/default/mtod, which is not declared',
        file: 'a.yaml',
        line: 13,
        column: 5,
        resourceId: 'File/default/banner',
        field: 'dependsOn[0]',
        expected: 'the id of a declared resource',
        hint: 'did you mean File/default/motd?',
      },
      {
        severity: 'error',
        code: 'SETPOINT_MISSING_DEPENDENCY',
        summary: 'depends on Directory/web/nope, which is not declared',
        file: 'a.yaml',
        line: 14,
        column: 5,
        resourceId: 'File/default/banner',
        field: 'dependsOn[1]',
        expected: 'the id of a declared resource',
        hint: 'declare it, or remove the dependency',
      },
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: '"bad//id" is not a resource id',
        file: 'a.yaml',
        line: 15,
        column: 5,
        resourceId: 'File/default/banner',
        field: 'dependsOn[2]',
        expected: 'Kind/name or Kind/namespace/name',
        hint: 'declare it, or remove the dependency',
      },
    ]);
  });

  it('never suggests an unrelated id, nor the resource itself, for a missing dependency', () => {
    const { diags } = run({
      'a.yaml': 'kind: File\nmetadata: { name: a }\nspec: { path: /a }\ndependsOn: [File/nope, File/b]\n',
    });
    assert.deepEqual(
      diags.map((d) => [d.field, d.hint]),
      [
        ['dependsOn[0]', 'declare it, or remove the dependency'],
        ['dependsOn[1]', 'declare it, or remove the dependency'],
      ],
    );
  });

  it('names both locations of a duplicate id, keeps the first and drops the second', () => {
    const { diags, resources } = run({
      'a.yaml': motd,
      'b.yaml': [
        'kind: File',
        'metadata:',
        '  namespace: default',
        '  name: motd',
        'spec:',
        '  path: /other',
        '',
      ].join('\n'),
    });
    assert.deepEqual(
      resources.map((r) => [r.id, (r.spec as { path: string }).path]),
      [['File/default/motd', '/srv/motd']],
    );
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_DUPLICATE_ID',
        summary: 'duplicate resource id File/default/motd',
        file: 'b.yaml',
        line: 1,
        column: 1,
        resourceId: 'File/default/motd',
        field: 'metadata.name',
        detail: 'first declared at a.yaml:1:1',
        hint: 'give one of them another metadata.name or metadata.namespace',
      },
    ]);
  });

  it('locates duplicates inside a JSON list at their items, not at the top of the file', () => {
    const json = JSON.stringify(
      [
        { kind: 'File', metadata: { name: 'a' }, spec: { path: '/a' } },
        { kind: 'File', metadata: { name: 'a' }, spec: { path: '/b' } },
      ],
      null,
      2,
    );
    // Items start at their `{`, on the lines after `[` and `},`.
    const itemLines = json.split('\n').flatMap((l, i) => (l === '  {' ? [i + 1] : []));
    assert.equal(itemLines.length, 2);
    const { diags } = run({ 'list.json': json });
    assert.equal(diags.length, 1);
    assert.equal(diags[0].code, 'SETPOINT_DUPLICATE_ID');
    assert.deepEqual([diags[0].line, diags[0].column], [itemLines[1], 3]);
    assert.equal(diags[0].detail, `first declared at list.json:${itemLines[0]}:3`);
  });

  it('reports a cycle once, listing its members and where each is declared', () => {
    const { diags } = run({
      'a.yaml': [
        'kind: File\nmetadata: { name: a }\nspec: { path: /a }\ndependsOn: [File/b]', // 1-4
        'kind: File\nmetadata: { name: b }\nspec: { path: /b }\ndependsOn: [File/default/c]', // 6-9
        'kind: File\nmetadata: { name: c }\nspec: { path: /c }\ndependsOn: [File/a]', // 11-14
        'kind: File\nmetadata: { name: d }\nspec: { path: /d }\ndependsOn: [File/a]', // 16-19, outside the cycle
      ].join('\n---\n'),
    });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_DEPENDENCY_CYCLE',
        summary: 'dependency cycle: File/default/a -> File/default/b -> File/default/c -> File/default/a',
        file: 'a.yaml',
        line: 1,
        column: 1,
        resourceId: 'File/default/a',
        field: 'dependsOn',
        detail: [
          'File/default/a declared at a.yaml:1',
          'File/default/b declared at a.yaml:6',
          'File/default/c declared at a.yaml:11',
        ].join('\n'),
        hint: 'dependsOn must form a DAG; remove one of these dependencies',
      },
    ]);
  });

  it('reports a resource that depends on itself as a cycle of one', () => {
    const { diags } = run({
      'a.yaml': 'kind: File\nmetadata: { name: a }\nspec: { path: /a }\ndependsOn: [File/a]\n',
    });
    assert.deepEqual(
      diags.map((d) => [d.code, d.summary]),
      [['SETPOINT_DEPENDENCY_CYCLE', 'dependency cycle: File/default/a -> File/default/a']],
    );
  });
});

describe('validateDocuments: kinds and fields', () => {
  it('reports an unknown kind at its value, lists the kinds and suggests the nearest', () => {
    const { diags, resources } = run({
      'a.yaml': 'kind: Fiel\nmetadata:\n  name: motd\nspec:\n  path: /motd\n',
    });
    assert.deepEqual(resources, []);
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_UNKNOWN_KIND',
        summary: 'unknown kind "Fiel"',
        file: 'a.yaml',
        line: 1,
        column: 7,
        resourceId: 'Fiel/default/motd',
        field: 'kind',
        expected: 'one of Directory, File, Symlink',
        hint: 'did you mean "File"?',
      },
    ]);
  });

  it('points to the kind list when no kind is near', () => {
    const { diags } = run({ 'a.yaml': 'kind: Service\nmetadata:\n  name: web\n' });
    assert.equal(diags.length, 1);
    assert.equal(diags[0].code, 'SETPOINT_UNKNOWN_KIND');
    assert.equal(diags[0].hint, 'run `setpoint schema --list` to list the kinds');
  });

  it('reports a missing or badly written kind through the envelope', () => {
    const { diags } = run({ 'a.yaml': 'metadata:\n  name: a\n---\nkind: file\nmetadata:\n  name: b\n' });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'required field is missing',
        file: 'a.yaml',
        line: 1,
        column: 1,
        field: 'kind',
        expected: 'string',
        found: 'nothing',
      },
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'a kind such as File (a capitalised word)',
        file: 'a.yaml',
        line: 4,
        column: 7,
        resourceId: 'file/default/b',
        field: 'kind',
        found: '"file"',
      },
    ]);
  });

  it('reports an unknown spec field at its key with a did-you-mean', () => {
    const { diags } = run({ 'a.yaml': motd + '  contnet: hi\n' });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'unknown field "contnet"',
        file: 'a.yaml',
        line: 6,
        column: 3,
        resourceId: 'File/default/motd',
        field: 'spec.contnet',
        hint: 'did you mean "content"?',
      },
    ]);
  });

  it('lists the allowed fields when no field is near, also inside nested objects', () => {
    const { diags } = run({
      'a.yaml': motd + '  colour: red\n  options:\n    backup: true\n    compress: gzip\n',
    });
    assert.deepEqual(
      diags.map((d) => [d.field, d.line, d.column, d.hint]),
      [
        ['spec.colour', 6, 3, 'allowed fields here: path, ensure, content, mode, options'],
        ['spec.options.compress', 9, 5, 'allowed fields here: backup, suffix'],
      ],
    );
  });

  it('reports unknown top-level, metadata and lifecycle fields with did-you-mean', () => {
    const { diags } = run({
      'a.yaml': [
        'kind: File',
        'metadata:',
        '  name: motd',
        '  label: { a: b }',
        'spec:',
        '  path: /motd',
        'dependOn: []',
        'lifecycle:',
        '  prun: true',
        '',
      ].join('\n'),
    });
    assert.deepEqual(
      diags.map((d) => [d.field, d.line, d.column, d.resourceId, d.hint]),
      [
        ['metadata.label', 4, 3, 'File/default/motd', 'did you mean "labels"?'],
        ['dependOn', 7, 1, 'File/default/motd', 'did you mean "dependsOn"?'],
        ['lifecycle.prun', 9, 3, 'File/default/motd', 'did you mean "prune"?'],
      ],
    );
  });

  it('reports a value of the wrong type with what was expected and what was found', () => {
    const { diags } = run({
      'a.yaml': 'kind: File\nmetadata:\n  name: motd\nspec:\n  path: 42\n  options:\n    backup: "yes"\n',
    });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'wrong type',
        file: 'a.yaml',
        line: 5,
        column: 9,
        resourceId: 'File/default/motd',
        field: 'spec.path',
        expected: 'string',
        found: '42 (number)',
      },
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'wrong type',
        file: 'a.yaml',
        line: 7,
        column: 13,
        resourceId: 'File/default/motd',
        field: 'spec.options.backup',
        expected: 'boolean',
        found: '"yes"',
      },
    ]);
  });

  it('explains that an unquoted mode 0644 is read as a number', () => {
    const { diags } = run({ 'a.yaml': motd + '  mode: 0644\n' });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'wrong type',
        file: 'a.yaml',
        line: 6,
        column: 9,
        resourceId: 'File/default/motd',
        field: 'spec.mode',
        expected: 'string',
        found: '644 (number)',
        hint: 'quote the mode ("0644"): unquoted, YAML reads 0644 as a number',
      },
    ]);
  });

  it('reports an enum value that is not allowed, with the allowed values', () => {
    const { diags } = run({ 'a.yaml': motd + '  ensure: gone\nlifecycle:\n  remediation: sometimes\n' });
    assert.deepEqual(
      diags.map((d) => [d.field, d.line, d.column, d.summary, d.expected, d.found]),
      [
        ['spec.ensure', 6, 11, 'value not allowed', 'one of "present", "absent"', '"gone"'],
        [
          'lifecycle.remediation',
          8,
          16,
          'value not allowed',
          'one of "auto", "alert", "approve"',
          '"sometimes"',
        ],
      ],
    );
  });
});

describe('validateDocuments: metadata', () => {
  it('reports a missing metadata.name at metadata, with a hint', () => {
    const { diags, resources } = run({
      'a.yaml': 'kind: File\nmetadata:\n  labels: { a: b }\nspec:\n  path: /a\n',
    });
    assert.deepEqual(resources, []);
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary: 'required field is missing',
        file: 'a.yaml',
        line: 2,
        column: 1,
        field: 'metadata.name',
        expected: 'string',
        found: 'nothing',
        hint: 'every resource needs metadata.name, unique per kind and namespace',
      },
    ]);
  });

  it('reports a missing metadata mapping and the misspelt key that was meant', () => {
    const { diags } = run({ 'a.yaml': 'kind: File\nmetdata:\n  name: a\nspec:\n  path: /a\n' });
    assert.deepEqual(
      diags.map((d) => [d.field, d.line, d.column, d.summary, d.hint]),
      [
        ['metadata', 1, 1, 'required field is missing', undefined],
        ['metdata', 2, 1, 'unknown field "metdata"', 'did you mean "metadata"?'],
      ],
    );
  });

  it('reports an invalid name at its value with the rule and the value', () => {
    const { diags } = run({
      'a.yaml': 'kind: File\nmetadata:\n  name: "-motd-"\n  namespace: "web team"\nspec:\n  path: /a\n',
    });
    assert.deepEqual(diags, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary:
          "name must be letters, digits, '.', '_' or '-', start and end with a letter or digit, at most 253 characters",
        file: 'a.yaml',
        line: 3,
        column: 9,
        resourceId: 'File/web team/-motd-',
        field: 'metadata.name',
        found: '"-motd-"',
      },
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_INVALID',
        summary:
          "namespace must be letters, digits, '.', '_' or '-', start and end with a letter or digit, at most 253 characters",
        file: 'a.yaml',
        line: 4,
        column: 14,
        resourceId: 'File/web team/-motd-',
        field: 'metadata.namespace',
        found: '"web team"',
      },
    ]);
  });

  it('refuses a document that is not a mapping', () => {
    const { diags } = run({ 'a.yaml': '- kind: File\n---\njust text\n' });
    assert.deepEqual(
      diags.map((d) => [d.code, d.line, d.column, d.summary, d.found]),
      [
        [
          'SETPOINT_MANIFEST_INVALID',
          1,
          1,
          'a resource must be a mapping with kind, metadata and spec',
          'a list of 1',
        ],
        [
          'SETPOINT_MANIFEST_INVALID',
          3,
          1,
          'a resource must be a mapping with kind, metadata and spec',
          '"just text"',
        ],
      ],
    );
  });
});

describe('validateDocuments: a whole run', () => {
  it('reports every problem of every file together, and keeps the valid resources', () => {
    const { diags, resources } = run({
      'a.yaml': [
        motd, // 1-6: valid
        'kind: Fiel\nmetadata: { name: x }', // 8-9
        'kind: File\nmetadata: { name: y }\nspec: { path: 1, colour: red }', // 11-13
      ].join('\n---\n'),
      'b.yaml': 'kind: [\n',
      'c.json': JSON.stringify({
        kind: 'Directory',
        metadata: { name: 'srv' },
        spec: { path: '/srv' },
        dependsOn: ['File/missing'],
      }),
    });
    assert.deepEqual(
      resources.map((r) => r.id),
      ['File/default/motd', 'Directory/default/srv'],
    );
    assert.deepEqual(
      diags.map((d) => [d.file, d.line, d.code, d.field]),
      [
        ['a.yaml', 8, 'SETPOINT_UNKNOWN_KIND', 'kind'],
        ['a.yaml', 13, 'SETPOINT_MANIFEST_INVALID', 'spec.path'],
        ['a.yaml', 13, 'SETPOINT_MANIFEST_INVALID', 'spec.colour'],
        ['b.yaml', 2, 'SETPOINT_MANIFEST_SYNTAX', undefined],
        ['c.json', 1, 'SETPOINT_MISSING_DEPENDENCY', 'dependsOn[0]'],
      ],
    );
  });

  it('points at the right item of a JSON list', () => {
    const json = JSON.stringify(
      [
        { kind: 'File', metadata: { name: 'a' }, spec: { path: '/a' } },
        { kind: 'File', metadata: { name: 'b' }, spec: { path: '/b', mode: 644 } },
      ],
      null,
      2,
    );
    const modeLine = json.split('\n').findIndex((l) => l.includes('"mode"')) + 1;
    const { diags, resources } = run({ 'list.json': json });
    assert.deepEqual(
      resources.map((r) => [r.id, r.origin.index]),
      [['File/default/a', 0]],
    );
    assert.deepEqual(
      diags.map((d) => [d.file, d.line, d.resourceId, d.field, d.hint]),
      [
        [
          'list.json',
          modeLine,
          'File/default/b',
          'spec.mode',
          'quote the mode ("0644"): unquoted, YAML reads 0644 as a number',
        ],
      ],
    );
  });

  it('checks across files the same when documents are validated one at a time (as the cache does)', () => {
    const dir = tempDir();
    writeFiles(dir, { 'a.yaml': motd, 'b.yaml': motd });
    const diags = new Diagnostics();
    const locator = new FieldLocator();
    const candidates = ['a.yaml', 'b.yaml']
      .flatMap((f) => readManifestFile(join(dir, f), diags))
      .map((doc) => validateOne(doc, { catalog, locator }, diags));
    assert.equal(candidates.filter((r) => r !== undefined).length, 2);
    const resources = checkResourceSet(
      candidates.filter((r) => r !== undefined),
      locator,
      diags,
    );
    assert.equal(resources.length, 1);
    assert.deepEqual(
      diags.items.map((d) => [d.code, relative(dir, d.file!)]),
      [['SETPOINT_DUPLICATE_ID', 'b.yaml']],
    );
  });
});

describe('validateDocuments with the built-in providers', () => {
  it('explains the unquoted mode for the real File kind', () => {
    const { diags } = run({ 'a.yaml': motd + '  mode: 0644\n' }, { catalog: defaultRegistry() });
    assert.equal(diags.length, 1);
    assert.equal(diags[0].field, 'spec.mode');
    assert.equal(diags[0].line, 6);
    assert.equal(diags[0].found, '644 (number)');
    assert.equal(diags[0].hint, 'quote the mode ("0644"): unquoted, YAML reads 0644 as a number');
  });

  it('suggests a built-in kind for a typo', () => {
    const { diags } = run(
      { 'a.yaml': 'kind: Directroy\nmetadata: { name: srv }\nspec: { path: /srv }\n' },
      { catalog: defaultRegistry() },
    );
    assert.equal(diags.length, 1);
    assert.equal(diags[0].hint, 'did you mean "Directory"?');
    assert.match(diags[0].expected ?? '', /^one of .*Directory.*File/);
  });
});

describe('formatPath', () => {
  it('joins names with dots and indices in brackets', () => {
    assert.equal(formatPath([]), '');
    assert.equal(formatPath(['spec', 'mode']), 'spec.mode');
    assert.equal(formatPath(['dependsOn', 2]), 'dependsOn[2]');
    assert.equal(formatPath(['spec', 'steps', 0, 'run']), 'spec.steps[0].run');
  });
});
