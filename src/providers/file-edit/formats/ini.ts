/**
 * INI files, edited line by line: `[section]` headers, `name = value` or
 * `name: value` lines, `;` and `#` comments. A value is replaced in place
 * (the spacing around its separator kept); a missing key goes after the last
 * line of its section, a missing section at the end. Names before the first
 * section are the key path `[name]`.
 */
import { appendLines, bare, joinLines, splitLines, textEqual, type KeyCodec } from '../editor.js';

const SECTION = /^\s*\[([^\]]*)\]\s*(?:[;#].*)?$/;
const ENTRY = /^(\s*)([^=:;#[\s][^=:]*?)(\s*[=:]\s*)(.*?)\s*$/;

interface Located {
  lines: string[];
  /** Index of the key's line, or -1. */
  index: number;
  /** Index of the section header (-1: the part before any section; undefined: no such section). */
  header: number | undefined;
  /** Last non-blank line of the section (the header itself when it is empty). */
  last: number;
}

function locate(text: string, path: readonly string[]): Located {
  const [section, name] = path.length === 1 ? [undefined, path[0]] : [path[0], path[1]];
  const lines = splitLines(text);
  let current: string | undefined;
  let header: number | undefined = section === undefined ? -1 : undefined;
  let index = -1;
  let last = -1;
  lines.forEach((raw, i) => {
    const l = bare(raw);
    const s = SECTION.exec(l);
    if (s) {
      current = s[1].trim();
      if (current === section && header === undefined) {
        header = i;
        last = i;
      }
      return;
    }
    if (current !== section) return;
    if (l.trim() !== '') last = i;
    const e = ENTRY.exec(l);
    if (index < 0 && e && e[2].trim() === name) index = i;
  });
  return { lines, index, header, last };
}

function render(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The separator style of the file's first entry (`a = b` or `a=b`), for new lines. */
function separator(lines: readonly string[]): string {
  for (const l of lines) {
    const e = ENTRY.exec(bare(l));
    if (e && !SECTION.test(l)) return e[3];
  }
  return ' = ';
}

export const iniCodec: KeyCodec = {
  equal: textEqual,
  get(text, path) {
    const at = locate(text, path);
    if (at.index < 0) return undefined;
    return { value: ENTRY.exec(bare(at.lines[at.index]))![4] };
  },
  set(text, path, value) {
    const at = locate(text, path);
    const name = path[path.length - 1];
    if (at.index >= 0) {
      const raw = at.lines[at.index];
      const e = ENTRY.exec(bare(raw))!;
      const lines = [...at.lines];
      lines[at.index] = e[1] + e[2] + e[3] + render(value) + (raw.endsWith('\r') ? '\r' : '');
      return joinLines(lines, text);
    }
    const line = `${name}${separator(at.lines)}${render(value)}`;
    if (at.header === undefined)
      return appendLines(text, `${at.lines.length ? '\n' : ''}[${path[0]}]\n${line}\n`);
    const lines = [...at.lines];
    lines.splice(at.last + 1, 0, line);
    return joinLines(lines, text === '' ? '\n' : text);
  },
  delete(text, path) {
    const at = locate(text, path);
    if (at.index < 0) return text;
    return joinLines(
      at.lines.filter((_, i) => i !== at.index),
      text,
    );
  },
};
