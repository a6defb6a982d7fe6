/**
 * Positions in rendered documents. A patched document keeps its base
 * document's file and index, so every field it kept is found there as
 * usual; the fields an overlay wrote are found in the overlay instead.
 */
import { FieldLocator, type Position } from '../manifest/index.js';
import type { FieldPath } from './merge-patch.js';

/** Where a subtree of a rendered document is written: a path inside document `index` of `file`. */
export interface FieldOrigin {
  file: string;
  index: number;
  path: FieldPath;
}

/** The subtree at `prefix` of a rendered document comes from `origin`. */
export interface MovedField {
  prefix: FieldPath;
  origin: FieldOrigin;
}

/**
 * A FieldLocator that knows which fields of rendered documents come from
 * overlays. The position it returns then carries the overlay's `file`.
 */
export class RenderedLocator extends FieldLocator {
  private readonly moved = new Map<string, readonly MovedField[]>();

  /** Records (replacing what was recorded before) which fields of document `index` of `file` were written elsewhere. */
  setMoved(file: string, index: number, fields: readonly MovedField[]): void {
    if (fields.length === 0) this.moved.delete(keyOf(file, index));
    else this.moved.set(keyOf(file, index), fields);
  }

  override locate(file: string, index: number, path: FieldPath, jsonArrayItem = false): Position | undefined {
    const hit = this.redirect(file, index, path);
    if (!hit) return super.locate(file, index, path, jsonArrayItem);
    const pos = super.locate(hit.file, hit.index, hit.path);
    return pos && { ...pos, file: hit.file };
  }

  override locateKey(file: string, index: number, path: FieldPath): Position | undefined {
    const hit = this.redirect(file, index, path);
    if (!hit) return super.locateKey(file, index, path);
    const pos = super.locateKey(hit.file, hit.index, hit.path);
    return pos && { ...pos, file: hit.file };
  }

  /** The overlay location of `path`, when its nearest recorded ancestor (or itself) was written by an overlay. */
  private redirect(file: string, index: number, path: FieldPath): FieldOrigin | undefined {
    let best: MovedField | undefined;
    for (const m of this.moved.get(keyOf(file, index)) ?? [])
      if (isPrefix(m.prefix, path) && (!best || m.prefix.length > best.prefix.length)) best = m;
    return best && { ...best.origin, path: [...best.origin.path, ...path.slice(best.prefix.length)] };
  }
}

function keyOf(file: string, index: number): string {
  return `${index}\u0000${file}`;
}

export function isPrefix(prefix: FieldPath, path: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}
