/** The FileEdit kind's spec: one managed part (a line, a marked block or a key) of a file. */
import * as z from 'zod';
import { regexProblem, REGEX_HINT } from '../../util/linear-regex.js';
import { AbsolutePathSchema, EnsureSchema } from '../fs/index.js';

export const FORMATS = ['ini', 'json', 'yaml', 'toml', 'env'] as const;
export type KeyFormat = (typeof FORMATS)[number];

/** The format a file's name implies, for `key` edits without `format`. */
export function formatOf(path: string): KeyFormat | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml';
  if (name.endsWith('.toml')) return 'toml';
  if (name.endsWith('.ini') || name.endsWith('.cfg')) return 'ini';
  if (name === '.env' || name.endsWith('.env')) return 'env';
  return undefined;
}

export const DEFAULT_MARKER = '# {mark} SETPOINT MANAGED BLOCK {id}';

export const FileEditSpecSchema = z
  .strictObject({
    path: AbsolutePathSchema.describe('Absolute path of the file to edit; the rest of it is left as it is.'),
    ensure: EnsureSchema,
    line: z
      .string()
      .refine((l) => !/[\r\n]/.test(l), 'one line, without a newline')
      .optional()
      .describe('A whole line the file must hold (absent: must not hold).'),
    match: z
      .string()
      .min(1)
      .optional()
      .describe(
        'With line: a regular expression (RE2) for the lines it replaces, e.g. "^PermitRootLogin ". Absent: lines matching it are removed.',
      ),
    block: z
      .string()
      .optional()
      .describe(
        'Lines kept between a begin and an end marker line (written at the end of the file at first).',
      ),
    marker: z
      .string()
      .refine((m) => m.includes('{mark}'), 'must contain {mark} (replaced by BEGIN and END)')
      .refine((m) => !/[\r\n]/.test(m), 'one line, without a newline')
      .optional()
      .describe(
        `With block: the marker lines; {mark} becomes BEGIN or END, {id} the resource id. Defaults to "${DEFAULT_MARKER}".`,
      ),
    key: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        'A key of an INI, JSON, YAML, TOML or env file: a dotted path ("server.port") or a list of segments (["section", "name.with.dots"]). INI: section, then name.',
      ),
    value: z.json().optional().describe('With key: the value it must have.'),
    format: z
      .enum(FORMATS)
      .optional()
      .describe(
        'With key: the file format. Defaults to what the file name says (.ini/.cfg, .json, .yaml/.yml, .toml, .env).',
      ),
    create: z
      .boolean()
      .optional()
      .describe(
        'Create the file (empty, mode 0644) when it does not exist. Defaults to false: a missing file is an error.',
      ),
  })
  .superRefine((spec, ctx) => {
    const modes = (['line', 'block', 'key'] as const).filter((k) => spec[k] !== undefined);
    if (modes.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: modes.length > 1 ? [modes[1]] : [],
        ...(modes.length > 1 ? { input: spec[modes[1]] } : {}),
        message:
          modes.length > 1
            ? `set exactly one of line, block or key (found ${modes.join(' and ')})`
            : 'set exactly one of line, block or key: what part of the file to manage',
      });
    const only = (field: 'match' | 'marker' | 'value' | 'format', mode: 'line' | 'block' | 'key') => {
      if (spec[field] !== undefined && spec[mode] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          input: spec[field],
          message: `${field} goes with ${mode}: set spec.${mode} too`,
        });
    };
    only('match', 'line');
    only('marker', 'block');
    only('value', 'key');
    only('format', 'key');
    if (spec.match !== undefined) {
      const problem = regexProblem(spec.match);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['match'],
          input: spec.match,
          message: `not a valid pattern: ${problem} (${REGEX_HINT})`,
        });
    }
    if (spec.key === undefined) return;
    if (spec.ensure !== 'absent' && spec.value === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: 'the value the key must have (or ensure: absent to remove the key)',
      });
    const format = spec.format ?? formatOf(spec.path);
    if (!format) {
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: `cannot tell the format of ${spec.path} from its name: set format to one of ${FORMATS.join(', ')}`,
      });
      return;
    }
    const segments = keySegments(spec.key, format);
    if ((format === 'ini' && segments.length > 2) || (format === 'env' && segments.length !== 1))
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        input: spec.key,
        message:
          format === 'env'
            ? 'an env file has no sections: one variable name'
            : 'an INI key is a section and a name (["section", "name"]), or a name before any section',
      });
    if (format === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(segments[0]))
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        input: spec.key,
        message: 'an env variable name: letters, digits and "_"',
      });
    if (
      (format === 'ini' || format === 'env') &&
      spec.value !== undefined &&
      (spec.value === null || typeof spec.value === 'object')
    )
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        input: spec.value,
        message: `a ${format} value is a string, number or boolean`,
      });
  })
  .describe(
    'A part of a file setpoint does not own: a line, a marked block, or a key of an INI/JSON/YAML/TOML/env file.',
  );

export type FileEditSpec = z.infer<typeof FileEditSpecSchema>;

/**
 * The key's segments. A string is split at dots, except in INI, where only
 * the first dot separates the section from the name (php.ini names hold dots).
 */
export function keySegments(key: string | string[], format: KeyFormat): string[] {
  if (Array.isArray(key)) return key;
  if (format === 'env') return [key];
  if (format === 'ini') {
    const dot = key.indexOf('.');
    return dot < 0 ? [key] : [key.slice(0, dot), key.slice(dot + 1)];
  }
  return key.split('.');
}
