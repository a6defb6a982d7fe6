/**
 * User: a local account (useradd/usermod/userdel), observed through getent.
 * Only declared fields are managed. The password is a crypt hash from a
 * secretRef: it is set through chpasswd's stdin (never argv), compared
 * inside observe, and shows up in plans, events and the store only as
 * "changed" — never the hash. Removal keeps the home folder unless
 * `force: true`. After a failed apply the account is as before: each shadow
 * tool rewrites the account files under their lock in one step.
 */
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx, Provider } from '../../provider/types.js';
import { SecretError } from '../../secrets/index.js';
import {
  ACCOUNT_NAME,
  forgetAccounts,
  groupsOf,
  passwdOf,
  runOrThrow,
  shadowHashOf,
} from '../accounts/index.js';
import { UserSpecSchema, type UserSpec } from './spec.js';

export { UserSpecSchema, type UserSpec } from './spec.js';

export interface UserDesired {
  spec: UserSpec;
  name: string;
  /** The crypt hash; held in memory only. */
  passwordHash?: string;
}

export interface UserActual {
  uid: number;
  gid: number;
  /** The primary group's name, when it has one. */
  group?: string;
  groups: string[];
  home: string;
  shell: string;
  comment: string;
  /** Whether the password matches the declared hash; only when one is declared. */
  passwordInSync?: boolean;
}

/** A crypt(3) hash (`$id$...`), or a locked/disabled marker. */
const CRYPT_HASH = /^(\$[0-9a-z]+\$[^\s:]+|[!*][^\s:]*)$/;

export const userProvider: Provider<UserSpec, UserActual, UserDesired> = {
  kind: 'User',
  description: 'A local user account (useradd, usermod, userdel).',
  schema: UserSpecSchema,
  concurrency: 1,

  async resolve(spec, ctx) {
    const name = spec.name ?? ctx.resource.metadata.name;
    if (!ACCOUNT_NAME.test(name))
      throw new ProviderError(`${JSON.stringify(name)} is not a valid user name`, {
        code: 'SETPOINT_SPEC_INVALID',
        field: 'spec.name',
        hint: 'set spec.name: lower-case letters, digits, _ and -, at most 32 characters',
      });
    if (!spec.password) return { spec, name };
    let hash: string;
    try {
      hash = (await ctx.secrets.resolve(spec.password.secretRef, ctx.baseDir)).trim();
    } catch (err) {
      if (err instanceof SecretError)
        throw new ProviderError(err.message, {
          code: err.code,
          field: 'spec.password.secretRef',
          hint: err.hint,
        });
      throw err;
    }
    if (!CRYPT_HASH.test(hash))
      throw new ProviderError('the password secret is not a crypt hash (it must never be plain text)', {
        code: 'SETPOINT_SPEC_INVALID',
        field: 'spec.password.secretRef',
        hint: "store a hash made with `mkpasswd -m yescrypt` or `openssl passwd -6`, e.g. '$6$salt$...'",
      });
    return { spec, name, passwordHash: hash };
  },

  async observe(desired, ctx) {
    return observeUser(desired, ctx);
  },

  diff(desired, actual) {
    const { spec } = desired;
    if (!actual) {
      const changes: Change[] = [{ path: 'spec.ensure', old: 'absent', new: 'present' }];
      if (desired.passwordHash) changes.push({ path: 'spec.password', sensitive: true });
      return changes;
    }
    const changes: Change[] = [];
    const field = (path: string, old: unknown, want: unknown) => {
      if (want !== undefined && JSON.stringify(old) !== JSON.stringify(want))
        changes.push({ path, old, new: want });
    };
    field('spec.uid', actual.uid, spec.uid);
    if (spec.gid !== undefined)
      field('spec.gid', typeof spec.gid === 'number' ? actual.gid : (actual.group ?? actual.gid), spec.gid);
    field('spec.groups', actual.groups, spec.groups && [...new Set(spec.groups)].sort());
    field('spec.home', actual.home, spec.home);
    field('spec.shell', actual.shell, spec.shell);
    field('spec.comment', actual.comment, spec.comment);
    if (desired.passwordHash && actual.passwordInSync === false)
      changes.push({ path: 'spec.password', sensitive: true });
    return changes;
  },

  async apply(desired, actual, ctx) {
    const changes = userProvider.diff(desired, actual);
    if (changes.length === 0 && actual) return actual;
    const { spec, name } = desired;
    const fieldOf = (said: string) =>
      /UID|uid/.test(said)
        ? 'spec.uid'
        : /group/i.test(said)
          ? spec.groups && !/primary/i.test(said)
            ? 'spec.groups'
            : 'spec.gid'
          : /home|directory/i.test(said)
            ? 'spec.home'
            : /shell/i.test(said)
              ? 'spec.shell'
              : 'spec.name';
    const flags = (only?: Set<string>): string[] => {
      const f: string[] = [];
      const want = (p: string) => !only || only.has(p);
      if (spec.uid !== undefined && want('spec.uid')) f.push('-u', String(spec.uid));
      if (spec.gid !== undefined && want('spec.gid')) f.push('-g', String(spec.gid));
      if (spec.groups !== undefined && want('spec.groups')) f.push('-G', [...new Set(spec.groups)].join(','));
      if (spec.home !== undefined && want('spec.home')) f.push('-d', spec.home);
      if (spec.shell !== undefined && want('spec.shell')) f.push('-s', spec.shell);
      if (spec.comment !== undefined && want('spec.comment')) f.push('-c', spec.comment);
      return f;
    };
    if (!actual) {
      const home = spec.system ? ['-r', '-M'] : ['-m'];
      await runOrThrow(['useradd', ...home, ...flags(), name], fieldOf, ctx);
    } else {
      const changed = new Set(changes.map((c) => c.path));
      const f = flags(changed);
      if (f.length > 0) await runOrThrow(['usermod', ...f, name], fieldOf, ctx);
    }
    const passwordChanged = changes.some((c) => c.path === 'spec.password');
    if (desired.passwordHash && passwordChanged)
      await runOrThrow(['chpasswd', '-e'], () => 'spec.password', ctx, `${name}:${desired.passwordHash}\n`);
    forgetAccounts(ctx);
    const now = await observeUser(desired, ctx);
    if (!now)
      throw new ProviderError(`user ${name} is still missing after useradd`, {
        code: 'SETPOINT_APPLY_UNCONVERGED',
        field: 'spec.name',
        hint: 'check /etc/nsswitch.conf: getent must read the local files',
      });
    return now;
  },

  async destroy(desired, _actual, ctx) {
    // The home folder holds the user's data: removed only when asked.
    await runOrThrow(
      ['userdel', ...(desired.spec.force ? ['-r'] : []), desired.name],
      () => 'spec.name',
      ctx,
      undefined,
      [6],
    );
    forgetAccounts(ctx);
  },

  isDestructive: (desired) => desired.spec.force === true,

  health(desired, actual) {
    return actual
      ? { status: 'Healthy' }
      : { status: 'Missing', message: `user ${desired.name} does not exist` };
  },

  display(desired, actual) {
    const { passwordInSync: _hidden, ...shown } = actual;
    return { name: desired.name, ...shown };
  },
};

async function observeUser(desired: UserDesired, ctx: Ctx): Promise<UserActual | undefined> {
  const entry = (await passwdOf(desired.name, ctx)).get(desired.name);
  if (!entry) return undefined;
  const groups = await groupsOf(ctx);
  const primary = [...groups.values()].find((g) => g.gid === entry.gid);
  const actual: UserActual = {
    uid: entry.uid,
    gid: entry.gid,
    group: primary?.name,
    groups: [...groups.values()]
      .filter((g) => g.members.includes(desired.name))
      .map((g) => g.name)
      .sort(),
    home: entry.home,
    shell: entry.shell,
    comment: entry.comment,
  };
  if (desired.passwordHash)
    actual.passwordInSync = (await shadowHashOf(desired.name, ctx)) === desired.passwordHash;
  return actual;
}
