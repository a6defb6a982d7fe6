/**
 * Exact line:column of a field inside a manifest document, for diagnostics.
 * Uses the `yaml` library's CST positions; parsed lazily, once per file, and
 * only for files that have problems (JSON is valid YAML, so one path serves both).
 */
import { readFileSync } from 'node:fs';
import type { LineCounter, Node } from 'yaml';
import { lazy } from '../util/lazy.js';

const yaml = lazy<typeof import('yaml')>('yaml');
import { isTypeScriptManifest } from './parse.js';

export interface Position {
  line: number;
  column: number;
  /** Set when the field is written in another file than its document's (a field an overlay patched in). */
  file?: string;
}

type FieldPath = ReadonlyArray<string | number>;

export class FieldLocator {
  private readonly cache = new Map<
    string,
    { docs: ReturnType<typeof import('yaml').parseAllDocuments>; lc: LineCounter }
  >();

  /**
   * Position of `path` in document `index` of `file`; falls back to the
   * deepest existing parent when the field itself is missing.
   */
  locate(file: string, index: number, path: FieldPath, jsonArrayItem = false): Position | undefined {
    return this.find(file, index, path, jsonArrayItem, false);
  }

  /**
   * Position of the key of the last segment of `path` (where an unknown
   * field is written), rather than of its value; falls back like `locate`.
   */
  locateKey(file: string, index: number, path: FieldPath): Position | undefined {
    return this.find(file, index, path, false, true);
  }

  private find(
    file: string,
    index: number,
    path: FieldPath,
    jsonArrayItem: boolean,
    atKey: boolean,
  ): Position | undefined {
    const parsed = this.parse(file);
    if (!parsed) return undefined;
    const docs = Array.isArray(parsed.docs) ? parsed.docs : [parsed.docs];
    let node: Node | null | undefined;
    let fullPath: FieldPath = path;
    if (file.endsWith('.json')) {
      node = docs[0]?.contents;
      if (jsonArrayItem || yaml().isSeq(node)) fullPath = [index, ...path];
    } else {
      node = docs[index]?.contents;
    }
    let best: Node | null | undefined = node;
    for (let i = 0; i < fullPath.length; i++) {
      const segment = fullPath[i];
      if (yaml().isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
        if (!pair) break;
        // A parent is shown by its key (`spec:` when spec.owner is missing); the field itself by its value.
        best = (pair.key as Node | null) ?? best;
        node = pair.value as Node | null;
        if (node && !atKey && i === fullPath.length - 1) best = node;
      } else if (yaml().isSeq(node) && typeof segment === 'number') {
        node = node.items[segment] as Node | null;
        if (!node) break;
        best = node;
      } else {
        break;
      }
    }
    const offset = best?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = parsed.lc.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  private parse(file: string) {
    // A TypeScript manifest's documents are located at their builder call, not by field.
    if (isTypeScriptManifest(file)) return undefined;
    let hit = this.cache.get(file);
    if (!hit) {
      try {
        const lc = new (yaml().LineCounter)();
        const docs = yaml().parseAllDocuments(readFileSync(file, 'utf8'), { lineCounter: lc });
        hit = { docs, lc };
        this.cache.set(file, hit);
      } catch {
        return undefined;
      }
    }
    return hit;
  }
}
