/** The User kind's spec. */
import * as z from 'zod';
import { SecretRefSchema } from '../../secrets/index.js';
import { AbsolutePathSchema, EnsureSchema } from '../fs/index.js';
import { ACCOUNT_NAME } from '../accounts/index.js';

const GroupRefSchema = z.union([
  z.string().regex(ACCOUNT_NAME, 'a group name'),
  z.number().int().nonnegative(),
]);

export const UserSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(ACCOUNT_NAME, 'a user name: lower-case letters, digits, _ and -, at most 32 characters')
      .optional()
      .describe('The login name. Defaults to metadata.name.'),
    uid: z
      .number()
      .int()
      .nonnegative()
      .max(4_294_967_294)
      .optional()
      .describe('The user id. Defaults to the next free one.'),
    gid: GroupRefSchema.optional().describe(
      'The primary group (name or gid). Defaults to a new group named as the user.',
    ),
    groups: z
      .array(z.string().regex(ACCOUNT_NAME, 'a group name'))
      .optional()
      .describe('Supplementary groups, exactly (others are left). Unset: not managed.'),
    home: AbsolutePathSchema.optional().describe(
      'The home folder. Defaults to /home/<name> (created for non-system users).',
    ),
    shell: AbsolutePathSchema.optional().describe("The login shell. Defaults to useradd's default."),
    comment: z
      .string()
      .regex(/^[^:\n]*$/, 'no ":" or line breaks')
      .optional()
      .describe('The GECOS field (full name).'),
    system: z
      .boolean()
      .optional()
      .describe('A system account (uid from the system range, no home created). Defaults to false.'),
    password: z
      .strictObject({ secretRef: SecretRefSchema })
      .optional()
      .describe(
        'A crypt(3) hash (e.g. from `mkpasswd -m yescrypt`) read from a secret; never plain text. Unset: not managed.',
      ),
    ensure: EnsureSchema,
    force: z
      .boolean()
      .optional()
      .describe(
        'On removal, delete the home folder and mail spool too (userdel -r). Defaults to false: the home stays.',
      ),
  })
  .describe('A local user account.');

export type UserSpec = z.infer<typeof UserSpecSchema>;
