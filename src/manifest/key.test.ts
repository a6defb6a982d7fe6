/** Resource identity: parsing, formatting and normalising `Kind/namespace/name` ids, and the name pattern. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_NAMESPACE, formatKey, NAME_PATTERN, normalizeId, parseKey } from './key.js';

describe('parseKey', () => {
  it('reads Kind/name into the default namespace', () => {
    assert.deepEqual(parseKey('File/motd'), { kind: 'File', namespace: 'default', name: 'motd' });
    assert.equal(DEFAULT_NAMESPACE, 'default');
  });

  it('reads Kind/name into a given default namespace', () => {
    assert.deepEqual(parseKey('File/motd', 'web'), { kind: 'File', namespace: 'web', name: 'motd' });
  });

  it('reads Kind/namespace/name as written, ignoring the default', () => {
    assert.deepEqual(parseKey('Directory/web/srv', 'other'), {
      kind: 'Directory',
      namespace: 'web',
      name: 'srv',
    });
  });

  it('refuses empty segments and the wrong number of segments', () => {
    for (const text of ['', 'File', 'File/', '/motd', 'File//motd', 'a/b/c/d', 'File/web/']) {
      assert.equal(parseKey(text), undefined, text);
    }
  });
});

describe('formatKey and normalizeId', () => {
  it('prints a key as Kind/namespace/name', () => {
    assert.equal(formatKey({ kind: 'File', namespace: 'web', name: 'motd' }), 'File/web/motd');
  });

  it('normalises Kind/name to Kind/default/name and leaves full ids alone', () => {
    assert.equal(normalizeId('File/motd'), 'File/default/motd');
    assert.equal(normalizeId('File/web/motd'), 'File/web/motd');
    assert.equal(normalizeId('File/motd', 'web'), 'File/web/motd');
  });

  it('returns unparsable text unchanged so the caller can report it', () => {
    assert.equal(normalizeId('not an id'), 'not an id');
    assert.equal(normalizeId('a//b'), 'a//b');
  });
});

describe('NAME_PATTERN', () => {
  it('accepts DNS-label-like names with dots and underscores', () => {
    for (const name of ['a', 'motd', 'web-01', 'nginx.conf', 'my_file', 'A9', 'x'.repeat(253)]) {
      assert.ok(NAME_PATTERN.test(name), name);
    }
  });

  it('refuses names that start or end with punctuation, contain other characters or exceed 253 characters', () => {
    for (const name of ['', '-a', 'a-', '.hidden', 'a_', 'has space', 'a/b', 'é', 'x'.repeat(254)]) {
      assert.ok(!NAME_PATTERN.test(name), name);
    }
  });
});
