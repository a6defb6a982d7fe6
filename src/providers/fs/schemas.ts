/** Spec fields shared by the file-system kinds. */
import { normalize, isAbsolute } from 'node:path';
import * as z from 'zod';

export const AbsolutePathSchema = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p), { message: 'must be an absolute path (starting with /)' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain a NUL byte' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".." segments' })
  .refine((p) => p === '/' || normalize(p) === p.replace(/\/$/, '') || normalize(p) === p, {
    message: 'must be a normalised path (no "//" or "/./")',
  });

/** Octal modes are strings: unquoted YAML would read 0644 as the number 644. */
export const ModeSchema = z
  .string()
  .regex(/^0?[0-7]{3,4}$/, 'an octal mode string such as "0644"')
  .describe('Octal permission bits, quoted, e.g. "0644".');

export const OwnerSchema = z
  .union([z.string().min(1), z.number().int().nonnegative()])
  .describe('A user name or numeric uid.');

export const GroupSchema = z
  .union([z.string().min(1), z.number().int().nonnegative()])
  .describe('A group name or numeric gid.');

export const EnsureSchema = z
  .enum(['present', 'absent'])
  .default('present')
  .describe('present creates and keeps it; absent removes it. Defaults to present.');

export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

export function formatMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}
