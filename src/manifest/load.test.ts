/**
 * Finding manifest files under -f paths: files as given, folders walked
 * recursively in sorted order, hidden folders, node_modules and the project's
 * own setpoint.yaml left out.
 */
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { Diagnostics } from './diagnostics.js';
import { findManifestFiles, loadDocuments, SETTINGS_FILE } from './load.js';

describe('findManifestFiles', () => {
  it('walks a folder recursively, sorted, skipping hidden entries, node_modules, other extensions and the top setpoint.yaml', () => {
    const dir = tempDir();
    writeFiles(dir, {
      [SETTINGS_FILE]: 'store: x\n',
      'b.yaml': '',
      'a.yml': '',
      'c.json': '{}',
      'notes.txt': '',
      'README.md': '',
      '.hidden.yaml': '',
      '.git/config.yaml': '',
      'node_modules/pkg/res.yaml': '',
      'z/deep/er.yaml': '',
      'm/setpoint.yaml': 'kind: File\n',
      'm/a.yaml': '',
    });
    const diags = new Diagnostics();
    const files = findManifestFiles([dir], diags);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(
      files.map((f) => relative(dir, f)),
      ['a.yml', 'b.yaml', 'c.json', 'm/a.yaml', 'm/setpoint.yaml', 'z/deep/er.yaml'],
    );
  });

  it('skips policy test fixtures (*.test.yaml, .yml, .json) in folders, but reads one given directly', () => {
    const dir = tempDir();
    writeFiles(dir, {
      'p.yaml': '',
      'p.test.yaml': '',
      'q.test.yml': '',
      'r.test.json': '{}',
      'latest.yaml': '',
      'sub/s.test.yaml': '',
    });
    const diags = new Diagnostics();
    assert.deepEqual(
      findManifestFiles([dir], diags).map((f) => relative(dir, f)),
      ['latest.yaml', 'p.yaml'],
    );
    assert.deepEqual(
      findManifestFiles([join(dir, 'p.test.yaml')], diags).map((f) => relative(dir, f)),
      ['p.test.yaml'],
    );
  });

  it('takes a file given directly, whatever its name, and does not list a file twice', () => {
    const dir = tempDir();
    writeFiles(dir, { 'one.yaml': '', 'sub/two.yaml': '', [SETTINGS_FILE]: '' });
    const diags = new Diagnostics();
    const files = findManifestFiles(
      [join(dir, SETTINGS_FILE), join(dir, 'sub'), join(dir, 'sub', 'two.yaml')],
      diags,
    );
    assert.deepEqual(diags.items, []);
    assert.deepEqual(files, [join(dir, SETTINGS_FILE), join(dir, 'sub', 'two.yaml')]);
  });

  it('reports a path that does not exist and goes on with the others', () => {
    const dir = tempDir();
    writeFiles(dir, { 'one.yaml': '' });
    const missing = join(dir, 'nope');
    const diags = new Diagnostics();
    const files = findManifestFiles([missing, dir], diags);
    assert.deepEqual(files, [join(dir, 'one.yaml')]);
    assert.deepEqual(diags.items, [
      {
        severity: 'error',
        code: 'SETPOINT_MANIFEST_UNREADABLE',
        summary: `no such file or folder: ${missing}`,
        file: missing,
        hint: 'check the -f path',
      },
    ]);
  });
});

describe('loadDocuments', () => {
  it('reads every document of every file found, in file order, and collects the problems of all files', () => {
    const dir = tempDir();
    writeFiles(dir, {
      'a.yaml': 'kind: File\n---\nkind: Directory\n',
      'b.yaml': 'kind: [\n',
      'c.json': '[{"kind": "Symlink"}]',
    });
    const diags = new Diagnostics();
    const docs = loadDocuments([dir], diags);
    assert.deepEqual(
      docs.map((d) => [relative(dir, d.file), d.index, (d.value as { kind: string }).kind]),
      [
        ['a.yaml', 0, 'File'],
        ['a.yaml', 1, 'Directory'],
        ['c.json', 0, 'Symlink'],
      ],
    );
    assert.deepEqual(
      diags.items.map((d) => [d.code, relative(dir, d.file!)]),
      [['SETPOINT_MANIFEST_SYNTAX', 'b.yaml']],
    );
  });
});
