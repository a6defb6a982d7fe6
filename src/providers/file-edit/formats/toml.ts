/**
 * TOML files, edited with toml-patch (parse to values, change one, patch
 * the document): it rewrites only what changed and keeps comments, spacing
 * and order elsewhere. Loaded on first use.
 */
import type * as TomlPatch from '@decimalturn/toml-patch';
import { lazy } from '../../../util/lazy.js';
import type { KeyCodec } from '../editor.js';
import { notAMapping, syntaxError } from './structure.js';

const toml = lazy<typeof TomlPatch>('@decimalturn/toml-patch');

type Table = Record<string, unknown>;

function parse(text: string): Table {
  try {
    return toml().parse(text) as Table;
  } catch (err) {
    throw syntaxError('TOML', (err as Error).message.split('\n')[0]);
  }
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** TOML values as the spec compares them: integers that fit are numbers, dates are ISO strings. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export const tomlCodec: KeyCodec = {
  get(text, path) {
    let at: unknown = parse(text);
    for (const seg of path) {
      if (Array.isArray(at) && /^\d+$/.test(seg) && Number(seg) < at.length) at = at[Number(seg)];
      else if (isTable(at) && Object.prototype.hasOwnProperty.call(at, seg)) at = at[seg];
      else return undefined;
    }
    return { value: plain(at) };
  },
  set(text, path, value) {
    const root = parse(text);
    let at: unknown = root;
    path.slice(0, -1).forEach((seg, i) => {
      if (Array.isArray(at) && /^\d+$/.test(seg)) at = at[Number(seg)];
      else if (isTable(at)) at = at[seg] ??= {};
      if (!isTable(at) && !Array.isArray(at)) throw notAMapping(path, i + 1, 'a value');
    });
    const last = path[path.length - 1];
    if (Array.isArray(at)) at[Number(last)] = value;
    else (at as Table)[last] = value;
    return toml().patch(text, root);
  },
  delete(text, path) {
    const root = parse(text);
    let at: unknown = root;
    for (const seg of path.slice(0, -1))
      at = isTable(at) ? at[seg] : Array.isArray(at) ? at[Number(seg)] : undefined;
    if (!isTable(at)) return text;
    delete at[path[path.length - 1]];
    return toml().patch(text, root);
  },
};
