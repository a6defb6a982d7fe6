/**
 * Reads a manifest file's bytes and decodes them, refusing what would be
 * silently altered or could not be read in bounded memory: invalid UTF-8
 * (decoding would turn a byte like 0xE9 into U+FFFD and write that to the
 * target), files over MAX_MANIFEST_BYTES, and anything that is not a
 * regular file (a FIFO or /dev/zero would block or never end).
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Diagnostics } from './diagnostics.js';
import { MAX_MANIFEST_BYTES } from './limits.js';

export const MANIFEST_ENCODING = 'SETPOINT_MANIFEST_ENCODING';
export const MANIFEST_TOO_LARGE = 'SETPOINT_MANIFEST_TOO_LARGE';

/** The file's bytes, or undefined with a diagnostic. */
export function readManifestBytes(file: string, diags: Diagnostics): Buffer | undefined {
  let fd: number | undefined;
  try {
    // Opened once and checked through the descriptor, so the checked file is the one read.
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) {
      diags.error({
        code: 'SETPOINT_MANIFEST_UNREADABLE',
        summary: 'a manifest must be a regular file',
        file,
        hint: 'pass a manifest file or a folder of them with -f',
      });
      return undefined;
    }
    if (st.size > MAX_MANIFEST_BYTES) {
      diags.error(tooLarge(file, st.size));
      return undefined;
    }
    const bytes = readFileSync(fd);
    // It may have grown between the stat and the read.
    if (bytes.length > MAX_MANIFEST_BYTES) {
      diags.error(tooLarge(file, bytes.length));
      return undefined;
    }
    return bytes;
  } catch (err) {
    diags.error({
      code: 'SETPOINT_MANIFEST_UNREADABLE',
      summary: `cannot read manifest: ${(err as Error).message}`,
      file,
      hint: 'check that the file exists and is readable',
    });
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tooLarge(file: string, size: number) {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return {
    code: MANIFEST_TOO_LARGE,
    summary: `the manifest is ${mib(size)}, more than the limit of ${mib(MAX_MANIFEST_BYTES)}`,
    file,
    hint: 'split it into several files, or keep large content in a file that spec.source names',
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of UTF-8 bytes (a leading BOM dropped), or undefined with a diagnostic at the first bad byte. */
export function decodeManifest(file: string, bytes: Uint8Array, diags: Diagnostics): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < offset; i++)
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    // Columns count characters, as the YAML parser's do.
    const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
    diags.error({
      code: MANIFEST_ENCODING,
      summary: `the manifest is not valid UTF-8: byte 0x${bytes[offset].toString(16).toUpperCase().padStart(2, '0')} at offset ${offset}`,
      file,
      line,
      column,
      hint:
        bytes[0] === 0xff || bytes[0] === 0xfe
          ? 'the file looks like UTF-16: save it as UTF-8'
          : 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8); nothing from it was used',
    });
    return undefined;
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: the sequence length and the allowed range of the second byte (no overlongs, no surrogates).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n > bytes.length) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += n;
  }
  return bytes.length;
}
