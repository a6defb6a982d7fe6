/** Files a node's set ships (a File's source: and template:): content-addressed, bounded, confined to the source. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Resource } from '../manifest/index.js';
import { compileSet, SET_FILE_MAX_BYTES, shippedFile } from './compile.js';

const root = mkdtempSync(join(tmpdir(), 'setpoint-compile-'));
const manifest = join(root, 'app', 'files.yaml');
mkdirSync(join(root, 'app', 'files'), { recursive: true });
writeFileSync(join(root, 'app', 'files', 'motd.txt'), 'hello\n');
writeFileSync(join(root, 'outside.txt'), 'not yours\n');
const sourceRoot = () => join(root, 'app');

function file(name: string, spec: Record<string, unknown>): Resource {
  return {
    id: `File/default/${name}`,
    key: { kind: 'File', namespace: 'default', name },
    metadata: { name, namespace: 'default', labels: {}, annotations: {} },
    spec: { path: `/etc/${name}`, ...spec },
    dependsOn: [],
    lifecycle: {},
    origin: { file: manifest, line: 3, column: 1, index: 0 },
    digest: name,
    nodeSelector: { matchLabels: { env: 'prod' } },
  };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('node set files', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('ships a source: file once, named by its sha256, and the digest follows its bytes', () => {
    const set = compileSet(
      'r1',
      [file('a', { source: './files/motd.txt' }), file('b', { template: 'files/motd.txt' })],
      sourceRoot,
    );
    const name = sha('hello\n');
    assert.deepEqual(Object.keys(set.files ?? {}), [name]);
    assert.deepEqual(
      set.documents.map((d) => d.spec),
      [
        { path: '/etc/a', source: `files/${name}` },
        { path: '/etc/b', template: `files/${name}` },
      ],
    );
    assert.equal(shippedFile(name, set.files![name])?.toString(), 'hello\n');
    assert.equal(shippedFile(name, Buffer.from('tampered').toString('base64')), undefined);
    const first = compileSet('r1', [file('a', { source: './files/motd.txt' })], sourceRoot);
    writeFileSync(join(root, 'app', 'files', 'motd.txt'), 'hello again\n');
    const next = compileSet('r1', [file('a', { source: './files/motd.txt' })], sourceRoot);
    assert.notEqual(next.digest, first.digest);
    assert.deepEqual(Object.keys(next.files ?? {}), [sha('hello again\n')]);
  });

  it('refuses a path outside the source, naming the resource and field', () => {
    assert.throws(
      () => compileSet('r1', [file('evil', { source: '../outside.txt' })], sourceRoot),
      (err: Error & { code?: string }) =>
        /File\/default\/evil \(.*files\.yaml:3\), spec\.source: .*outside the project/.test(err.message) &&
        err.code === 'SETPOINT_PATH_TRAVERSAL',
    );
  });

  it('refuses a missing file and one over the size limit, naming the resource and field', () => {
    assert.throws(
      () => compileSet('r1', [file('gone', { source: 'files/none' })], sourceRoot),
      /File\/default\/gone .*spec\.source: cannot read files\/none: no such file/,
    );
    writeFileSync(join(root, 'app', 'files', 'big.bin'), Buffer.alloc(SET_FILE_MAX_BYTES + 1));
    assert.throws(
      () => compileSet('r1', [file('big', { template: 'files/big.bin' })], sourceRoot),
      (err: Error & { code?: string }) =>
        /File\/default\/big .*spec\.template: files\/big\.bin is \d+ bytes; .* at most/.test(err.message) &&
        err.code === 'SETPOINT_FLEET_FILE',
    );
  });

  it('leaves inline content alone and ships nothing', () => {
    const set = compileSet('r1', [file('inline', { content: 'x' })], sourceRoot);
    assert.equal(set.files, undefined);
  });
});
