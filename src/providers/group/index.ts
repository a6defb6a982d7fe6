/**
 * Group: a local group (groupadd/groupmod/groupdel), observed through getent.
 * The gid is managed only when declared; `system` only shapes the creation
 * (a gid from the system range). Membership is declared on each User's
 * `groups`. After a failed apply the group is as before: the shadow tools
 * rewrite /etc/group under its lock in one step.
 */
import * as z from 'zod';
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { EnsureSchema } from '../fs/index.js';
import { ACCOUNT_NAME, forgetAccounts, groupOf, runOrThrow } from '../accounts/index.js';

export const GroupSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(ACCOUNT_NAME, 'a group name: lower-case letters, digits, _ and -, at most 32 characters')
      .optional()
      .describe('The group name. Defaults to metadata.name.'),
    gid: z
      .number()
      .int()
      .nonnegative()
      .max(4_294_967_294)
      .optional()
      .describe('The group id. Defaults to the next free one.'),
    system: z
      .boolean()
      .optional()
      .describe('Create it as a system group (a gid from the system range). Defaults to false.'),
    ensure: EnsureSchema,
  })
  .describe('A local group.');

export type GroupSpec = z.infer<typeof GroupSpecSchema>;

export interface GroupDesired extends GroupSpec {
  name: string;
}

export interface GroupActual {
  gid: number;
}

export const groupProvider: Provider<GroupSpec, GroupActual, GroupDesired> = {
  kind: 'Group',
  description: 'A local group (groupadd, groupmod, groupdel).',
  schema: GroupSpecSchema,
  // The shadow tools take one lock on /etc/group: one at a time.
  concurrency: 1,

  async resolve(spec, ctx) {
    const name = spec.name ?? ctx.resource.metadata.name;
    if (!ACCOUNT_NAME.test(name))
      throw new ProviderError(`${JSON.stringify(name)} is not a valid group name`, {
        code: 'SETPOINT_SPEC_INVALID',
        field: 'spec.name',
        hint: 'set spec.name: lower-case letters, digits, _ and -, at most 32 characters',
      });
    return { ...spec, name };
  },

  async observe(desired, ctx) {
    const entry = await groupOf(desired.name, ctx);
    return entry ? { gid: entry.gid } : undefined;
  },

  diff(desired, actual) {
    const changes: Change[] = [];
    if (!actual) return [{ path: 'spec.ensure', old: 'absent', new: 'present' }];
    if (desired.gid !== undefined && desired.gid !== actual.gid)
      changes.push({ path: 'spec.gid', old: actual.gid, new: desired.gid });
    return changes;
  },

  async apply(desired, actual, ctx) {
    const gidField = (said: string) => (/GID|gid/.test(said) ? 'spec.gid' : 'spec.name');
    const gid = desired.gid !== undefined ? ['-g', String(desired.gid)] : [];
    if (!actual)
      await runOrThrow(['groupadd', ...gid, ...(desired.system ? ['-r'] : []), desired.name], gidField, ctx);
    else if (desired.gid !== undefined && desired.gid !== actual.gid)
      await runOrThrow(['groupmod', '-g', String(desired.gid), desired.name], gidField, ctx);
    else return actual;
    forgetAccounts(ctx);
    const entry = await groupOf(desired.name, ctx);
    if (!entry)
      throw new ProviderError(`group ${desired.name} is still missing after groupadd`, {
        code: 'SETPOINT_APPLY_UNCONVERGED',
        field: 'spec.name',
        hint: 'check /etc/nsswitch.conf: getent must read the local files',
      });
    return { gid: entry.gid };
  },

  async destroy(desired, _actual, ctx) {
    await runOrThrow(
      ['groupdel', desired.name],
      (said) => (/primary group/.test(said) ? 'spec.ensure' : 'spec.name'),
      ctx,
      undefined,
      [6],
    );
    forgetAccounts(ctx);
  },

  isDestructive: () => false,

  health(desired, actual) {
    return actual
      ? { status: 'Healthy' }
      : { status: 'Missing', message: `group ${desired.name} does not exist` };
  },

  display(desired, actual) {
    return { name: desired.name, gid: actual.gid };
  },
};
