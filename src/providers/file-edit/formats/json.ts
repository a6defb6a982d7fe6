/**
 * JSON files (comments allowed, as in JSONC), edited with Microsoft's
 * jsonc-parser: a value is replaced where it stands; a missing key is
 * inserted after the last member of its nearest existing object, indented
 * like it, and nothing else is reformatted. jsonc-parser loads on first use.
 */
import type * as Jsonc from 'jsonc-parser';
import { lazy } from '../../../util/lazy.js';
import type { KeyCodec } from '../editor.js';
import { indentRest, indentUnit, lineIndent, nest, notAMapping, syntaxError } from './structure.js';

const jsonc = lazy<typeof Jsonc>('jsonc-parser');

function tree(text: string): Jsonc.Node | undefined {
  if (text.trim() === '') return undefined;
  const errors: Jsonc.ParseError[] = [];
  const root = jsonc().parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || !root) {
    const e = errors[0];
    const line = e ? text.slice(0, e.offset).split('\n').length : 1;
    throw syntaxError('JSON', `${e ? jsonc().printParseErrorCode(e.error) : 'empty'} at line ${line}`);
  }
  return root;
}

/** The jsonc path of the segments: a digit segment indexes an array. */
function locate(
  root: Jsonc.Node,
  path: readonly string[],
): { node?: Jsonc.Node; depth: number; at: Jsonc.Node } {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    let next: Jsonc.Node | undefined;
    if (node.type === 'object')
      next = node.children?.find((p) => p.children?.[0]?.value === seg)?.children?.[1];
    else if (node.type === 'array' && /^\d+$/.test(seg)) next = node.children?.[Number(seg)];
    if (!next) return { depth: i, at: node };
    node = next;
  }
  return { node, depth: path.length, at: node };
}

function jsonPath(root: Jsonc.Node, path: readonly string[]): Jsonc.JSONPath {
  const out: Jsonc.JSONPath = [];
  let node: Jsonc.Node | undefined = root;
  for (const seg of path) {
    const index = node?.type === 'array' && /^\d+$/.test(seg);
    out.push(index ? Number(seg) : seg);
    node = node && jsonc().findNodeAtLocation(node, [out[out.length - 1]]);
  }
  return out;
}

export const jsonCodec: KeyCodec = {
  get(text, path) {
    const root = tree(text);
    const found = root && locate(root, path).node;
    return found ? { value: jsonc().getNodeValue(found) } : undefined;
  },
  set(text, path, value) {
    const root = tree(text);
    if (!root) return JSON.stringify(nest(path, value), null, 2) + '\n';
    const { node, depth, at } = locate(root, path);
    if (node) {
      const edits = jsonc().modify(text, jsonPath(root, path), value, {});
      return jsonc().applyEdits(text, edits);
    }
    if (at.type !== 'object')
      throw notAMapping(
        path,
        depth,
        at.type === 'array' ? 'a list (or the index is past its end)' : `a ${at.type}`,
      );
    const rest = path.slice(depth);
    const member = (indent: string, unit: string) =>
      `${JSON.stringify(rest[0])}: ${indentRest(JSON.stringify(nest(rest.slice(1), value), null, unit), indent)}`;
    const members = at.children ?? [];
    if (members.length === 0) {
      const inner = text.slice(at.offset + 1, at.offset + at.length - 1);
      return (
        text.slice(0, at.offset + 1) +
        (inner.trim() === '' ? member('', '') : inner + member('', '')) +
        text.slice(at.offset + at.length - 1)
      );
    }
    const last = members[members.length - 1];
    const end = last.offset + last.length;
    const multiline = text.slice(at.offset, members[0].offset).includes('\n');
    const insert = multiline
      ? `,\n${lineIndent(text, last.offset)}${member(lineIndent(text, last.offset), indentUnit(text))}`
      : `, ${JSON.stringify(rest[0])}: ${JSON.stringify(nest(rest.slice(1), value))}`;
    return text.slice(0, end) + insert + text.slice(end);
  },
  delete(text, path) {
    const root = tree(text);
    if (!root || !locate(root, path).node) return text;
    return jsonc().applyEdits(text, jsonc().modify(text, jsonPath(root, path), undefined, {}));
  },
};
