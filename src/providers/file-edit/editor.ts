/**
 * An editor owns one part of a file's text: it reads the part, says whether
 * it is as desired, and rewrites the text with the part as desired (or
 * without it), leaving every other byte as it was. Pure: no I/O.
 */
import type { Change } from '../../diff/index.js';

export interface Editor<Part = unknown> {
  /** The managed part of `text`; undefined when the text holds none of it. */
  read(text: string): Part | undefined;
  /** Whether a part read from the file is as desired. */
  inSync(part: Part): boolean;
  /** What differs, for a part that is not in sync or absent (undefined). */
  changes(part: Part | undefined): Change[];
  /** `text` with the part as desired; `text` itself when it already is. */
  apply(text: string): string;
  /** `text` without the part; `text` itself when it holds none. */
  remove(text: string): string;
}

/** Splits text into lines without their `\n`; a final newline gives no empty last line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Joins lines back, ending with a newline when the original did (or it was empty). */
export function joinLines(lines: readonly string[], original: string): string {
  if (lines.length === 0) return '';
  const endsWithNewline = original === '' || original.endsWith('\n');
  return lines.join('\n') + (endsWithNewline ? '\n' : '');
}

/** `text` with `addition` (whole lines) at its end, after a newline if the text lacked one. */
export function appendLines(text: string, addition: string): string {
  if (text === '' || text.endsWith('\n')) return text + addition;
  return text + '\n' + addition;
}

/** A line as compared: without a trailing carriage return (files with CRLF endings). */
export function bare(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Reads and writes one key of one format. `get` answers undefined for a missing key. */
export interface KeyCodec {
  get(text: string, path: readonly string[]): { value: unknown } | undefined;
  set(text: string, path: readonly string[], value: unknown): string;
  delete(text: string, path: readonly string[]): string;
  /** Whether the file's value equals the desired one (INI and env values are text). */
  equal?(found: unknown, want: unknown): boolean;
}

/** INI and env files hold text: 8080 and "8080" are one value. */
export function textEqual(found: unknown, want: unknown): boolean {
  return String(found) === (typeof want === 'string' ? want : JSON.stringify(want));
}
