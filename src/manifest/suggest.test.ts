/** "Did you mean": edit distance and the closeness threshold. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, distance } from './suggest.js';

describe('distance', () => {
  it('counts insertions, deletions and substitutions', () => {
    assert.equal(distance('', ''), 0);
    assert.equal(distance('abc', 'abc'), 0);
    assert.equal(distance('', 'abc'), 3);
    assert.equal(distance('kitten', 'sitting'), 3);
  });

  it('counts a swap of two neighbouring letters as one edit', () => {
    assert.equal(distance('fiel', 'file'), 1);
    assert.equal(distance('metdaata', 'metadata'), 1);
  });
});

describe('closest', () => {
  it('suggests the nearest candidate, case-insensitively, keeping its spelling', () => {
    assert.equal(closest('file', ['Directory', 'File', 'Symlink']), 'File');
    assert.equal(closest('Directroy', ['Directory', 'File']), 'Directory');
  });

  it('catches a transposed pair of letters in a short word', () => {
    assert.equal(closest('Fiel', ['Directory', 'File', 'Symlink']), 'File');
  });

  it('suggests nothing when the word is not recognisably the same', () => {
    assert.equal(closest('Service', ['Directory', 'File', 'Symlink']), undefined);
    assert.equal(closest('x', []), undefined);
  });

  it('takes an explicit maximum distance', () => {
    assert.equal(closest('File/default/nope', ['File/default/a'], 1), undefined);
    assert.equal(closest('File/default/motd', ['File/default/mtod'], 1), 'File/default/mtod');
  });
});
