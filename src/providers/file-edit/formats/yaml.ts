/**
 * YAML files, edited in the text at the positions the `yaml` parser reports:
 * a scalar is replaced where it stands (its comment kept), a collection by
 * a flow-style one; a missing key is inserted after the last entry of its
 * nearest existing block mapping, at that mapping's indentation; a removed
 * key takes its lines with it. Everything else stays byte for byte. Only
 * flow mappings (`{a: 1}`) are rewritten through the parser's printer,
 * which keeps comments but may respace that document.
 */
import type { Document, Node, Pair } from 'yaml';
import { lazy } from '../../../util/lazy.js';

import type { KeyCodec } from '../editor.js';
import { indentRest, indentUnit, lineIndent, nest, notAMapping, syntaxError } from './structure.js';

// Loaded on first use: only a FileEdit of a YAML key needs the parser.
const Y = lazy<typeof import('yaml')>('yaml');

function parse(text: string): Document {
  const doc = Y().parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw syntaxError('YAML', `${e.message.split('\n')[0]}`);
  }
  return doc;
}

/** The segment as the key or index the node at `parent` uses. */
function segment(parent: unknown, seg: string): string | number {
  return Y().isSeq(parent) && /^\d+$/.test(seg) ? Number(seg) : seg;
}

interface Found {
  /** The node at the full path, when there is one. */
  node?: Node;
  /** Depth of the deepest existing node, and that node. */
  depth: number;
  at: unknown;
}

function locate(doc: Document, path: readonly string[]): Found {
  let at: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    if (!Y().isMap(at) && !Y().isSeq(at)) return { depth: i, at };
    const next: unknown = at.get(segment(at, path[i]), true);
    if (next === undefined) return { depth: i, at };
    at = next;
  }
  return { node: at as Node, depth: path.length, at };
}

/** A value as one line of YAML: plain or quoted scalars, flow collections. */
function inline(value: unknown): string {
  return Y().stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

export const yamlCodec: KeyCodec = {
  get(text, path) {
    const { node } = locate(parse(text), path);
    return node ? { value: (node as { toJSON(): unknown }).toJSON() } : undefined;
  },
  set(text, path, value) {
    const doc = parse(text);
    const { node, depth, at } = locate(doc, path);
    if (node?.range) {
      const [start, end] = node.range;
      // An empty value (`key:`) starts right after the colon; a block scalar's range ends with its newline.
      const lead = text[start - 1] === ':' ? ' ' : '';
      const tail = text.slice(start, end).endsWith('\n') ? '\n' : '';
      return text.slice(0, start) + lead + inline(value) + tail + text.slice(end);
    }
    if (depth > 0 && Y().isScalar(at) && at.value === null && at.range) {
      // `parent:` with no value: the new keys become its block mapping.
      const start = at.range[0];
      const indent = lineIndent(text, start) + indentUnit(text);
      const block = Y()
        .stringify(nest(path.slice(depth), value), { lineWidth: 0 })
        .trimEnd();
      return text.slice(0, start) + '\n' + indent + indentRest(block, indent) + text.slice(start);
    }
    if (depth === 0 && (at === null || at === undefined || (Y().isScalar(at) && at.value === null)))
      return text + (text === '' || text.endsWith('\n') ? '' : '\n') + Y().stringify(nest(path, value));
    if (!Y().isMap(at))
      throw notAMapping(path, depth, Y().isSeq(at) ? 'a list (or the index is past its end)' : 'a scalar');
    const entry = Y().stringify(nest(path.slice(depth), value), { lineWidth: 0 });
    if (at.flow || !at.range || at.items.length === 0) {
      doc.setIn(
        path.map((s, i) => (i < depth ? segment(undefined, s) : s)),
        value,
      );
      return String(doc);
    }
    const first = (at.items[0] as Pair<Node>).key;
    const keyStart = first?.range?.[0] ?? at.range[0];
    const indent = ' '.repeat(keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1));
    // The mapping ends where its last value (and that value's comment) ends: insert on the next line.
    let end = at.range[2];
    if (end > 0 && text[end - 1] !== '\n') {
      const eol = text.indexOf('\n', end);
      end = eol < 0 ? text.length : eol + 1;
    }
    const lead = end === text.length && !text.endsWith('\n') ? '\n' : '';
    return text.slice(0, end) + lead + indent + indentRest(entry.trimEnd(), indent) + '\n' + text.slice(end);
  },
  delete(text, path) {
    const doc = parse(text);
    const { node, depth } = locate(doc, path);
    if (!node) return text;
    const parent = locate(doc, path.slice(0, -1)).node ?? doc.contents;
    if (!Y().isMap(parent) || parent.flow) {
      doc.deleteIn(path.map((s) => segment(undefined, s)));
      return String(doc);
    }
    const pair = parent.items.find(
      (p) => (Y().isScalar(p.key) ? String(p.key.value) : p.key) === path[depth - 1],
    ) as Pair<Node, Node> | undefined;
    const keyStart = pair?.key?.range?.[0];
    const valueEnd = pair?.value?.range?.[2];
    if (keyStart === undefined || valueEnd === undefined) {
      doc.deleteIn(path);
      return String(doc);
    }
    const from = text.lastIndexOf('\n', keyStart - 1) + 1;
    let to = valueEnd;
    if (to > 0 && text[to - 1] !== '\n') {
      const eol = text.indexOf('\n', to);
      to = eol < 0 ? text.length : eol + 1;
    }
    return text.slice(0, from) + text.slice(to);
  },
};
