/** Content changes: text gets a unified diff; binary and large content a summary with size and digest. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { contentChange, formatBytes, isBinary, MAX_DIFF_BYTES, sha256, unifiedDiff } from './text.js';

const short = (b: Buffer | string) => createHash('sha256').update(b).digest('hex').slice(0, 12);

describe('contentChange', () => {
  it('keeps text as text, old and new', () => {
    assert.deepEqual(contentChange('spec.content', Buffer.from('old\n'), Buffer.from('new\n')), {
      path: 'spec.content',
      format: 'text',
      old: 'old\n',
      new: 'new\n',
    });
    assert.deepEqual(contentChange('spec.content', undefined, Buffer.from('new\n')), {
      path: 'spec.content',
      format: 'text',
      old: undefined,
      new: 'new\n',
    });
  });

  it('summarises binary content on either side by size and digest', () => {
    const bin = Buffer.from([0x89, 0x50, 0x00, 0x47]);
    assert.deepEqual(contentChange('spec.content', Buffer.from('text'), bin), {
      path: 'spec.content',
      format: 'binary',
      old: `4 B, sha256 ${short('text')}`,
      new: `4 B, sha256 ${short(bin)}`,
    });
    assert.equal(contentChange('spec.content', bin, Buffer.from('text')).format, 'binary');
    assert.equal(contentChange('spec.content', undefined, bin).old, undefined);
  });

  it('summarises content over the diff limit on either side', () => {
    const big = Buffer.alloc(MAX_DIFF_BYTES + 1, 'a');
    assert.deepEqual(contentChange('spec.content', Buffer.from('small'), big), {
      path: 'spec.content',
      format: 'large',
      old: `5 B, sha256 ${short('small')}`,
      new: `256.0 KiB, sha256 ${short(big)}`,
    });
    assert.equal(contentChange('spec.content', big, Buffer.from('small')).format, 'large');
    assert.equal(contentChange('spec.content', undefined, Buffer.alloc(MAX_DIFF_BYTES, 'a')).format, 'text');
  });
});

describe('isBinary, sha256 and formatBytes', () => {
  it('calls content with a NUL byte in its first 8000 bytes binary', () => {
    assert.equal(isBinary(Buffer.from('plain text\n')), false);
    assert.equal(isBinary(Buffer.from('é ü 日本\n')), false);
    assert.equal(isBinary(Buffer.from([0x61, 0x00, 0x62])), true);
    assert.equal(isBinary(Buffer.concat([Buffer.alloc(8000, 'a'), Buffer.from([0])])), false);
    assert.equal(isBinary(Buffer.alloc(0)), false);
  });

  it('hashes strings and buffers alike', () => {
    assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256(Buffer.from('abc')), sha256('abc'));
  });

  it('formats sizes in B, KiB and MiB', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MiB');
  });
});

describe('unifiedDiff', () => {
  it('renders hunks without file headers', async () => {
    const diff = await unifiedDiff('a\nb\nc\n', 'a\nB\nc\n');
    assert.equal(diff, ['@@ -1,3 +1,3 @@', ' a', '-b', '+B', ' c'].join('\n'));
  });

  it('limits context lines and splits distant changes into hunks', async () => {
    const old = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const next = old.replace('line 2\n', 'line two\n').replace('line 19\n', 'line nineteen\n');
    const diff = await unifiedDiff(old, next, 1);
    assert.equal(
      diff,
      [
        '@@ -1,3 +1,3 @@',
        ' line 1',
        '-line 2',
        '+line two',
        ' line 3',
        '@@ -18,3 +18,3 @@',
        ' line 18',
        '-line 19',
        '+line nineteen',
        ' line 20',
      ].join('\n'),
    );
  });

  it('is empty for equal texts', async () => {
    assert.equal(await unifiedDiff('same\n', 'same\n'), '');
  });

  it('shows a missing final newline', async () => {
    const diff = await unifiedDiff('a\n', 'a');
    assert.match(diff, /\\ No newline at end of file/);
  });
});
