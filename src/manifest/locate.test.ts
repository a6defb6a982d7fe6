/** FieldLocator: exact line:column of a field path inside a document of a YAML or JSON file. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { FieldLocator } from './locate.js';

const yaml = [
  'kind: File', // 1
  'metadata:', // 2
  '  name: a', // 3
  'spec:', // 4
  '  path: /a', // 5
  '---', // 6
  'kind: File', // 7
  'metadata:', // 8
  '  name: b', // 9
  'spec:', // 10
  '  path: /b', // 11
  '  mode: 0644', // 12
  'dependsOn:', // 13
  '  - File/a', // 14
  '  - File/c', // 15
].join('\n');

const json = JSON.stringify(
  [
    { kind: 'File', metadata: { name: 'a' } },
    { kind: 'File', metadata: { name: 'b' }, spec: { mode: 644 } },
  ],
  null,
  2,
);

function files() {
  const dir = tempDir();
  writeFiles(dir, {
    'm.yaml': yaml,
    'list.json': json,
    'one.json': '{\n  "kind": "File",\n  "spec": {\n    "mode": 644\n  }\n}\n',
  });
  return {
    yamlFile: join(dir, 'm.yaml'),
    listFile: join(dir, 'list.json'),
    oneFile: join(dir, 'one.json'),
    dir,
  };
}

describe('FieldLocator', () => {
  it('points at the value of a field in the right document of a YAML file', () => {
    const { yamlFile } = files();
    const locator = new FieldLocator();
    assert.deepEqual(locator.locate(yamlFile, 0, ['spec', 'path']), { line: 5, column: 9 });
    assert.deepEqual(locator.locate(yamlFile, 1, ['spec', 'mode']), { line: 12, column: 9 });
    assert.deepEqual(locator.locate(yamlFile, 1, ['metadata', 'name']), { line: 9, column: 9 });
  });

  it('points at items of a sequence', () => {
    const { yamlFile } = files();
    const locator = new FieldLocator();
    assert.deepEqual(locator.locate(yamlFile, 1, ['dependsOn', 0]), { line: 14, column: 5 });
    assert.deepEqual(locator.locate(yamlFile, 1, ['dependsOn', 1]), { line: 15, column: 5 });
  });

  it('falls back to the key of the deepest field that exists', () => {
    const { yamlFile } = files();
    const locator = new FieldLocator();
    // spec.owner is missing: the caret goes to `spec:`.
    assert.deepEqual(locator.locate(yamlFile, 1, ['spec', 'owner']), { line: 10, column: 1 });
    // dependsOn[5] is missing: the caret goes to `dependsOn:`.
    assert.deepEqual(locator.locate(yamlFile, 1, ['dependsOn', 5]), { line: 13, column: 1 });
    // Nothing of the path exists: the document's root.
    assert.deepEqual(locator.locate(yamlFile, 0, ['lifecycle', 'prune']), { line: 1, column: 1 });
  });

  it('points at the key instead of the value with locateKey (where an unknown field is written)', () => {
    const { yamlFile } = files();
    const locator = new FieldLocator();
    assert.deepEqual(locator.locateKey(yamlFile, 1, ['spec', 'mode']), { line: 12, column: 3 });
    assert.deepEqual(locator.locateKey(yamlFile, 1, ['metadata']), { line: 8, column: 1 });
    // A missing key falls back to its parent's key, as locate does.
    assert.deepEqual(locator.locateKey(yamlFile, 1, ['spec', 'owner']), { line: 10, column: 1 });
  });

  it('points at the value when an intermediate segment has the same name as the last', () => {
    const dir = tempDir();
    writeFiles(dir, { 'n.yaml': 'spec:\n  env:\n    spec: x\n' });
    const locator = new FieldLocator();
    assert.deepEqual(locator.locate(join(dir, 'n.yaml'), 0, ['spec', 'env', 'spec']), {
      line: 3,
      column: 11,
    });
    // spec.missing is absent: the caret goes to the `spec:` key, not to the value of spec.
    assert.deepEqual(locator.locate(join(dir, 'n.yaml'), 0, ['spec', 'missing', 'spec']), {
      line: 1,
      column: 1,
    });
  });

  it('finds fields inside the items of a JSON list by the document index', () => {
    const { listFile } = files();
    const locator = new FieldLocator();
    const lines = json.split('\n');
    const modeLine = lines.findIndex((l) => l.includes('"mode"')) + 1;
    const kindLines = lines.flatMap((l, i) => (l.includes('"kind"') ? [i + 1] : []));
    assert.deepEqual(locator.locate(listFile, 1, ['spec', 'mode']), {
      line: modeLine,
      column: lines[modeLine - 1].indexOf('644') + 1,
    });
    const kindColumn = lines[kindLines[0] - 1].indexOf('"File"') + 1;
    assert.deepEqual(locator.locate(listFile, 0, ['kind']), { line: kindLines[0], column: kindColumn });
    assert.deepEqual(locator.locate(listFile, 1, ['kind']), { line: kindLines[1], column: kindColumn });
    assert.notEqual(kindLines[0], kindLines[1]);
  });

  it('finds fields in a JSON file holding one object', () => {
    const { oneFile } = files();
    assert.deepEqual(new FieldLocator().locate(oneFile, 0, ['spec', 'mode']), { line: 4, column: 13 });
  });

  it('returns undefined for a file it cannot read, and for a document that does not exist', () => {
    const { dir, yamlFile } = files();
    const locator = new FieldLocator();
    assert.equal(locator.locate(join(dir, 'missing.yaml'), 0, ['spec']), undefined);
    assert.equal(locator.locate(yamlFile, 7, ['spec']), undefined);
  });
});
