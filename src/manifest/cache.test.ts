/**
 * FileCompiledCache: compiled manifests keyed by content and fingerprint.
 * A hit must give back exactly what was stored; anything else is a miss,
 * never an error.
 */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { FileCompiledCache } from './cache.js';
import type { Resource } from './types.js';

const resource: Resource = {
  id: 'File/default/motd',
  key: { kind: 'File', namespace: 'default', name: 'motd' },
  metadata: { name: 'motd', namespace: 'default', labels: { owner: 'team-web' }, annotations: {} },
  spec: { path: '/srv/motd', content: 'hello\n', mode: '0644' },
  dependsOn: ['Directory/default/srv'],
  lifecycle: { prune: true, ignoreChanges: ['spec.mode'] },
  origin: { file: '/p/web.yaml', line: 3, column: 1, index: 1 },
  digest: 'abc123',
};

const file = '/p/web.yaml';
const bytes = Buffer.from('kind: File\n');

describe('FileCompiledCache', () => {
  it('gives back the same resources on a hit', () => {
    const dir = join(tempDir(), 'cache');
    const cache = new FileCompiledCache(dir, 'fp1');
    const key = cache.key(file, bytes);
    assert.equal(cache.get(file, key), undefined);
    cache.set(file, key, [resource]);
    assert.deepEqual(cache.get(file, key), [resource]);
    // A second instance over the same folder reads what the first wrote.
    assert.deepEqual(new FileCompiledCache(dir, 'fp1').get(file, key), [resource]);
  });

  it('keys on every byte, the path and the fingerprint', () => {
    const cache = new FileCompiledCache(tempDir(), 'fp1');
    const key = cache.key(file, bytes);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(cache.key(file, Buffer.from('kind: File\n')), key);
    assert.notEqual(cache.key(file, Buffer.from('kind: File \n')), key);
    assert.notEqual(cache.key('/p/other.yaml', bytes), key);
    assert.notEqual(new FileCompiledCache(tempDir(), 'fp2').key(file, bytes), key);
  });

  it('misses after any byte of the file changes', () => {
    const cache = new FileCompiledCache(tempDir(), 'fp1');
    cache.set(file, cache.key(file, bytes), [resource]);
    const changed = Buffer.from(bytes);
    changed[changed.length - 1] = 0x20;
    assert.equal(cache.get(file, cache.key(file, changed)), undefined);
  });

  it('misses when the fingerprint differs (another setpoint version, provider set or default namespace)', () => {
    const dir = tempDir();
    const a = new FileCompiledCache(dir, 'setpoint@1|File@1|default');
    a.set(file, a.key(file, bytes), [resource]);
    const b = new FileCompiledCache(dir, 'setpoint@1|File@2|default');
    assert.equal(b.get(file, b.key(file, bytes)), undefined);
  });

  it('keeps one entry per file: the newest set wins', () => {
    const dir = tempDir();
    const cache = new FileCompiledCache(dir, 'fp');
    const oldKey = cache.key(file, bytes);
    cache.set(file, oldKey, [resource]);
    const newBytes = Buffer.from('kind: File # edited\n');
    const newKey = cache.key(file, newBytes);
    cache.set(file, newKey, []);
    assert.deepEqual(cache.get(file, newKey), []);
    assert.equal(cache.get(file, oldKey), undefined);
    assert.equal(readdirSync(dir).length, 1);
  });

  it('treats a corrupt cache file as a miss, not an error', () => {
    const dir = tempDir();
    const cache = new FileCompiledCache(dir, 'fp');
    const key = cache.key(file, bytes);
    cache.set(file, key, [resource]);
    const [entry] = readdirSync(dir);
    writeFileSync(join(dir, entry), key + '\n[{"id": "File/default/mo');
    assert.equal(cache.get(file, key), undefined);
    writeFileSync(join(dir, entry), 'no newline at all');
    assert.equal(cache.get(file, key), undefined);
    writeFileSync(join(dir, entry), '');
    assert.equal(cache.get(file, key), undefined);
  });

  it('does not throw when the cache folder cannot be created or written', () => {
    const parent = tempDir();
    // A regular file where the folder should be: mkdir fails with ENOTDIR.
    writeFileSync(join(parent, 'blocked'), '');
    const cache = new FileCompiledCache(join(parent, 'blocked', 'cache'), 'fp');
    const key = cache.key(file, bytes);
    assert.doesNotThrow(() => cache.set(file, key, [resource]));
    assert.equal(cache.get(file, key), undefined);
  });

  it(
    'does not throw when the cache folder is read-only',
    { skip: process.getuid?.() === 0 ? 'root ignores directory permissions' : false },
    () => {
      const dir = tempDir();
      chmodSync(dir, 0o500);
      try {
        const cache = new FileCompiledCache(dir, 'fp');
        const key = cache.key(file, bytes);
        assert.doesNotThrow(() => cache.set(file, key, [resource]));
        assert.equal(cache.get(file, key), undefined);
        assert.deepEqual(readdirSync(dir), []);
      } finally {
        chmodSync(dir, 0o700);
      }
    },
  );
});
