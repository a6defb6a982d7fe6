/**
 * env files (`NAME=value`, optionally `export NAME=value`), as systemd's
 * EnvironmentFile and docker's --env-file read them. A value is written bare
 * when it is plain, else in double quotes with `\`, `"`, `$` and backticks
 * escaped. A missing variable is appended.
 */
import { appendLines, bare, joinLines, splitLines, textEqual, type KeyCodec } from '../editor.js';

const ENTRY = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$/;

function find(lines: readonly string[], name: string): number {
  return lines.findIndex((l) => ENTRY.exec(bare(l))?.[2] === name);
}

/** The value of a line's right-hand side: quotes removed, escapes undone, a trailing comment dropped. */
export function parseValue(raw: string): string {
  const v = raw.trim();
  if (v.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(v);
    if (m) return m[1].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  if (v.startsWith("'")) {
    const m = /^'([^']*)'/.exec(v);
    if (m) return m[1];
  }
  return v.replace(/\s+#.*$/, '');
}

export function renderValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[A-Za-z0-9_./:@%+,=-]*$/.test(text)) return text;
  return `"${text.replace(/[\\"$`]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

export const envCodec: KeyCodec = {
  equal: textEqual,
  get(text, path) {
    const lines = splitLines(text);
    const i = find(lines, path[0]);
    return i < 0 ? undefined : { value: parseValue(ENTRY.exec(bare(lines[i]))![4]) };
  },
  set(text, path, value) {
    const lines = splitLines(text);
    const i = find(lines, path[0]);
    if (i < 0) return appendLines(text, `${path[0]}=${renderValue(value)}\n`);
    const raw = lines[i];
    const e = ENTRY.exec(bare(raw))!;
    const out = [...lines];
    out[i] = e[1] + e[2] + e[3] + renderValue(value) + (raw.endsWith('\r') ? '\r' : '');
    return joinLines(out, text);
  },
  delete(text, path) {
    const lines = splitLines(text);
    const i = find(lines, path[0]);
    return i < 0
      ? text
      : joinLines(
          lines.filter((_, j) => j !== i),
          text,
        );
  },
};
