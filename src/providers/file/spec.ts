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
    template: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A Jinja template (nunjucks) rendered with `vars` and `facts`, relative to the manifest; includes stay in its folder.',
      ),
    vars: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name of letters, digits and "_"'),
        z.union([z.strictObject({ secretRef: SecretRefSchema }), z.json()]),
      )
      .optional()
      .describe(
        'Values the template reads by name ({{ port }}); a value may be a secretRef (the content is then never shown). Defaults to none.',
      ),
    mode: ModeSchema.optional(),
    owner: OwnerSchema.optional(),
    group: GroupSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const given = (['content', 'source', 'contentFrom', 'template'] as const).filter(
      (k) => spec[k] !== undefined,
    );
    if (given.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: [given[1]],
        input: spec[given[1]],
        message: `set only one of content, source, contentFrom or template (found ${given.join(' and ')})`,
      });
    if (spec.vars !== undefined && spec.template === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['vars'],
        message: 'vars are for a template: set spec.template too',
      });
    if (spec.vars && 'facts' in spec.vars)
      ctx.addIssue({
        code: 'custom',
        path: ['vars', 'facts'],
        message: '"facts" is the host facts in a template: name this variable otherwise',
      });
  })
  .describe('A regular file: content, mode and ownership, written atomically.');

export type FileSpec = z.infer<typeof FileSpecSchema>;
