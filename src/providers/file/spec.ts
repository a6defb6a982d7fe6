/** The File kind's spec. */
import * as z from 'zod';
import { SecretRefSchema } from '../../secrets/index.js';
import { AbsolutePathSchema, EnsureSchema, GroupSchema, ModeSchema, OwnerSchema } from '../fs/index.js';

export const FileSpecSchema = z
  .strictObject({
    path: AbsolutePathSchema.describe('Absolute path of the file.'),
    ensure: EnsureSchema,
    content: z.string().optional().describe('The whole content, inline.'),
    source: z
      .string()
      .min(1)
      .optional()
      .describe('A file whose bytes are the content, relative to the manifest.'),
    contentFrom: z
      .strictObject({ secretRef: SecretRefSchema })
      .optional()
      .describe('Content from a secret: resolved at apply time, never printed, logged or stored.'),
    mode: ModeSchema.optional(),
    owner: OwnerSchema.optional(),
    group: GroupSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const given = (['content', 'source', 'contentFrom'] as const).filter((k) => spec[k] !== undefined);
    if (given.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: [given[1]],
        message: `set only one of content, source or contentFrom (found ${given.join(' and ')})`,
      });
  })
  .describe('A regular file: content, mode and ownership, written atomically.');

export type FileSpec = z.infer<typeof FileSpecSchema>;
