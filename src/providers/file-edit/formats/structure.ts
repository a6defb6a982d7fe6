/** Helpers the JSON and YAML codecs share: nesting a value under missing keys, indentation, errors. */
import { ProviderError } from '../../../provider/errors.js';

/** `{a: {b: value}}` for the path segments [a, b]. */
export function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** The file's indentation unit: the whitespace of its first indented line. Defaults to two spaces. */
export function indentUnit(text: string): string {
  return /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** The whitespace at the start of the line holding `offset`. */
export function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** Prefixes every line but the first with `indent`. */
export function indentRest(block: string, indent: string): string {
  return block.replace(/\n/g, `\n${indent}`);
}

export function syntaxError(format: string, detail: string): ProviderError {
  return new ProviderError(`the file is not valid ${format}: ${detail}`, {
    code: 'SETPOINT_APPLY_REFUSED',
    field: 'spec.path',
    hint: `fix the file by hand, or set spec.format if it is not ${format}`,
  });
}

export function notAMapping(path: readonly string[], depth: number, what: string): ProviderError {
  return new ProviderError(
    `${path.slice(0, depth).join('.') || 'the document'} is ${what}, not a mapping: cannot set ${path.join('.')}`,
    {
      code: 'SETPOINT_APPLY_REFUSED',
      field: 'spec.key',
      hint: 'choose a key whose parents are mappings (objects, tables, sections)',
    },
  );
}
