/**
 * A key edit: one value in a structured file, set through a codec that
 * rewrites only that value's text (or inserts the key), so comments, order
 * and layout elsewhere stay byte for byte.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Editor, KeyCodec } from './editor.js';
import { envCodec } from './formats/env.js';
import { iniCodec } from './formats/ini.js';
import { jsonCodec } from './formats/json.js';
import { tomlCodec } from './formats/toml.js';
import { yamlCodec } from './formats/yaml.js';
import type { KeyFormat } from './spec.js';

const CODECS: Record<KeyFormat, () => KeyCodec> = {
  ini: () => iniCodec,
  env: () => envCodec,
  json: () => jsonCodec,
  yaml: () => yamlCodec,
  toml: () => tomlCodec,
};

export function keyEditor(
  format: KeyFormat,
  path: readonly string[],
  value: unknown,
): Editor<{ value: unknown }> {
  const codec = CODECS[format]();
  const equal = (found: unknown, want: unknown) =>
    codec.equal ? codec.equal(found, want) : isDeepStrictEqual(found, want);
  return {
    read: (text) => codec.get(text, path),
    inSync: (part) => equal(part.value, value),
    changes: (part) => [{ path: 'spec.value', old: part?.value, new: value }],
    apply(text) {
      const found = codec.get(text, path);
      return found && equal(found.value, value) ? text : codec.set(text, path, value);
    },
    remove: (text) => (codec.get(text, path) ? codec.delete(text, path) : text),
  };
}
