/**
 * A marked block, like Ansible's blockinfile: the lines between a begin and
 * an end marker line are the block; the first apply writes markers and block
 * at the end of the file. Text outside the markers is never touched.
 */
import { contentChange } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import { appendLines, bare, splitLines, type Editor } from './editor.js';

export function blockEditor(block: string, marker: string): Editor<string> {
  const begin = marker.replaceAll('{mark}', 'BEGIN');
  const end = marker.replaceAll('{mark}', 'END');
  const want = block === '' || block.endsWith('\n') ? block : block + '\n';
  /** Offsets of the begin marker's line (`begin`), and of the block between the markers (`from`, `to`). */
  const locate = (text: string) => {
    const lines = splitLines(text);
    const first = lines.findIndex((l) => bare(l) === begin);
    if (first < 0) return undefined;
    const last = lines.findIndex((l, i) => i > first && bare(l) === end);
    if (last < 0)
      throw new ProviderError(`the file has the begin marker "${begin}" but no end marker after it`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.marker',
        hint: `add the line "${end}" where the block ends, or remove the begin marker`,
      });
    const offsets: number[] = [];
    let at = 0;
    for (const l of lines) {
      offsets.push(at);
      at += l.length + 1;
    }
    return { begin: offsets[first], from: offsets[first + 1], to: offsets[last] };
  };
  return {
    read(text) {
      const at = locate(text);
      return at ? text.slice(at.from, at.to) : undefined;
    },
    inSync: (part) => part === want,
    changes: (part) => [
      contentChange('spec.block', part === undefined ? undefined : Buffer.from(part), Buffer.from(want)),
    ],
    apply(text) {
      const at = locate(text);
      if (!at) return appendLines(text, `${begin}\n${want}${end}\n`);
      if (text.slice(at.from, at.to) === want) return text;
      return text.slice(0, at.from) + want + text.slice(at.to);
    },
    remove(text) {
      const at = locate(text);
      if (!at) return text;
      // From the begin marker's line to the end of the end marker's line.
      const endLine = text.indexOf('\n', at.to);
      return text.slice(0, at.begin) + (endLine < 0 ? '' : text.slice(endLine + 1));
    },
  };
}
