/**
 * Reading manifests: invalid UTF-8 refused at its first bad byte, size and
 * shape limits (alias bombs, deep nesting), files that are not regular
 * files. Real files throughout.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { Diagnostics } from './diagnostics.js';
import { MAX_DOCUMENT_DEPTH, MAX_MANIFEST_BYTES, documentShapeProblem } from './limits.js';
import { readManifestFile } from './parse.js';
import { firstInvalidUtf8, MANIFEST_ENCODING, MANIFEST_TOO_LARGE } from './read.js';

const dir = tempDir();
let n = 0;

/** Writes `content` to a fresh file and reads it as a manifest. */
function read(content: string | Buffer, ext = '.yaml') {
  const file = join(dir, `m${n++}${ext}`);
  writeFileSync(file, content);
  const diags = new Diagnostics();
  const docs = readManifestFile(file, diags);
  return { docs, errors: diags.errors };
}

const file = (content: string) => `kind: File\nmetadata:\n  name: motd\nspec:\n  path: /srv/motd\n${content}`;

describe('reading manifests: encoding', () => {
  it('refuses a Latin-1 byte with its line and column, instead of turning it into U+FFFD', () => {
    const bytes = Buffer.concat([
      Buffer.from(file('  content: "caf')),
      Buffer.from([0xe9]),
      Buffer.from('"\n'),
    ]);
    const { docs, errors } = read(bytes);
    assert.deepEqual(docs, []);
    assert.equal(errors.length, 1);
    const [e] = errors;
    assert.equal(e.code, MANIFEST_ENCODING);
    assert.deepEqual([e.line, e.column], [6, 16]);
    assert.match(e.summary, /not valid UTF-8: byte 0xE9/);
    assert.match(e.hint ?? '', /save the file as UTF-8/);
  });

  it('counts the column in characters after valid multi-byte ones, and in JSON too', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"kind": "Filé", "x": "'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const [e] = read(bytes, '.json').errors;
    assert.equal(e.code, MANIFEST_ENCODING);
    assert.deepEqual([e.line, e.column], [1, 24]);
  });

  it('names UTF-16 as such', () => {
    const [e] = read(Buffer.from('\ufeffkind: File\n', 'utf16le')).errors;
    assert.equal(e.code, MANIFEST_ENCODING);
    assert.deepEqual([e.line, e.column], [1, 1]);
    assert.match(e.hint ?? '', /UTF-16/);
  });

  it('accepts valid UTF-8, and drops a leading BOM (JSON with a BOM parses)', () => {
    assert.equal(read(file('  content: "café ✓ 𝄞"\n')).errors.length, 0);
    const { docs, errors } = read('\ufeff{"kind": "File"}', '.json');
    assert.deepEqual(errors, []);
    assert.deepEqual(docs[0].value, { kind: 'File' });
  });

  it('firstInvalidUtf8: overlongs, surrogates, truncated and stray bytes', () => {
    const at = (...b: number[]) => firstInvalidUtf8(Uint8Array.from(b));
    assert.equal(at(0x61, 0xc0, 0x80), 1); // overlong NUL
    assert.equal(at(0xe0, 0x80, 0x80), 0); // overlong 3-byte
    assert.equal(at(0xed, 0xa0, 0x80), 0); // surrogate
    assert.equal(at(0x61, 0x62, 0xe2, 0x82), 2); // truncated at the end
    assert.equal(at(0x80), 0); // stray continuation byte
    assert.equal(at(0xf4, 0x90, 0x80, 0x80), 0); // above U+10FFFF
    assert.equal(at(0xf0, 0x9d, 0x84, 0x9e, 0x61), 5); // valid: 𝄞a
  });
});

describe('reading manifests: limits', () => {
  it('refuses a file over the size limit without reading it', () => {
    // Sparse: the size is what is checked, so no 50 MB are written.
    const path = join(dir, 'huge.yaml');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    const diags = new Diagnostics();
    assert.deepEqual(readManifestFile(path, diags), []);
    const [e] = diags.errors;
    assert.equal(e.code, MANIFEST_TOO_LARGE);
    assert.match(e.summary, /50\.0 MiB, more than the limit of 32\.0 MiB/);
    assert.ok(MAX_MANIFEST_BYTES < 50 * 1024 * 1024);
  });

  it('refuses what is not a regular file (a FIFO would block the run)', { timeout: 20_000 }, () => {
    const fifo = join(dir, 'pipe.yaml');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // Opening a FIFO blocks until it has a writer: give it one that writes nothing.
    const writer = spawn('sh', ['-c', `exec sleep 30 > ${fifo}`], { stdio: 'ignore' });
    try {
      const diags = new Diagnostics();
      assert.deepEqual(readManifestFile(fifo, diags), []);
      assert.match(diags.errors[0].summary, /must be a regular file/);
    } finally {
      writer.kill();
    }
  });

  it('refuses a billion-laughs alias bomb quickly, naming the document', { timeout: 20_000 }, () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const bomb = `kind: File\nmetadata:\n  name: lol\nspec:\n  path: /srv/lol\n  content: x\n${lines.join('\n')}\n`;
    const { docs, errors } = read(`${file('')}---\n${bomb}`);
    assert.equal(docs.length, 1, 'the other document is kept');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, MANIFEST_TOO_LARGE);
    assert.equal(errors[0].line, 7);
    assert.match(errors[0].summary, /expands to [\d,]+ values, more than the limit of 1,000,000/);
    assert.match(errors[0].hint ?? '', /aliases/);
  });

  it('keeps aliases that expand to little (a shared anchor used a few times)', () => {
    const { errors } = read(file('  content: &c hello\n  mode: "0644"\nx: *c\n'));
    assert.deepEqual(errors, []);
  });

  it('refuses nesting deeper than the limit, and nesting too deep for the parser, in YAML and JSON', () => {
    const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
    for (const [content, ext] of [
      [`kind: File\nspec: ${deep(MAX_DOCUMENT_DEPTH + 5)}\n`, '.yaml'],
      [`{"kind": "File", "spec": ${deep(MAX_DOCUMENT_DEPTH + 5)}}`, '.json'],
      [`kind: File\nspec: ${deep(200_000)}\n`, '.yaml'],
      [`{"spec": ${deep(200_000)}}`, '.json'],
    ] as const) {
      const { docs, errors } = read(content, ext);
      assert.deepEqual(docs, []);
      assert.equal(errors.length, 1, content.slice(0, 30));
      assert.match(
        errors[0].summary,
        /nested (more than 100 levels deep|too deeply)|nesting exceeded maxDepth \(100\)/,
      );
    }
  });

  it('documentShapeProblem: counts shared values by their expansion, finds cycles', () => {
    const leaf = { a: 1, b: 2 };
    const shared = [leaf, leaf, leaf];
    assert.equal(documentShapeProblem({ x: shared, y: shared }), undefined);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    assert.deepEqual(documentShapeProblem({ spec: cyclic }), { reason: 'cycle' });
  });

  it('reads thousands of documents in one file', { timeout: 60_000 }, () => {
    const docs = Array.from({ length: 5000 }, (_, i) => file(`  content: "${i}"\n`).replace('motd', `m${i}`));
    const r = read(docs.join('---\n'));
    assert.deepEqual(r.errors, []);
    assert.equal(r.docs.length, 5000);
  });
});
