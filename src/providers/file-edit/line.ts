/**
 * A line edit, like Puppet's file_line and Ansible's lineinfile: the file
 * holds `line`; with `match`, every line the pattern matches is replaced by
 * it (appended at the end when none matches and the line is missing).
 * Removing drops the line and, with `match`, every matching line.
 */
import type { LinearRegex } from '../../util/linear-regex.js';
import { appendLines, bare, joinLines, splitLines, type Editor } from './editor.js';

/** The lines the edit manages: those equal to `line`, or matching `match`. */
export function lineEditor(line: string, match: LinearRegex | undefined): Editor<string[]> {
  const managed = (l: string) => bare(l) === line || (match !== undefined && match.test(bare(l)));
  return {
    read(text) {
      const found = splitLines(text).filter(managed).map(bare);
      return found.length > 0 ? found : undefined;
    },
    inSync: (part) => part.every((l) => l === line),
    changes(part) {
      const wrong = part?.filter((l) => l !== line) ?? [];
      return [{ path: 'spec.line', old: wrong.length ? wrong.join('\n') : undefined, new: line }];
    },
    apply(text) {
      const lines = splitLines(text);
      let present = false;
      let changed = false;
      const out = lines.map((l) => {
        if (bare(l) === line) {
          present = true;
          return l;
        }
        if (match?.test(bare(l))) {
          present = true;
          changed = true;
          return l.endsWith('\r') ? line + '\r' : line;
        }
        return l;
      });
      if (!present) return appendLines(text, line + '\n');
      return changed ? joinLines(out, text) : text;
    },
    remove(text) {
      const lines = splitLines(text);
      const kept = lines.filter((l) => !managed(l));
      return kept.length === lines.length ? text : joinLines(kept, text);
    },
  };
}
