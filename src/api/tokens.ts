/** API tokens: create (shown once; only the sha256 is kept), list, revoke. */
import { generateToken, hashToken, isRole, ROLES, type Role } from '../auth/index.js';
import { SetpointError } from '../errors.js';
import { NAME_PATTERN } from '../manifest/index.js';
import type { TokenRecord } from '../store/index.js';
import type { ApiContext } from './context.js';
import type { ActorOption, TokenInfo } from './types.js';

export async function createToken(
  ctx: ApiContext,
  input: { name: string; role: Role; namespaces?: readonly string[] },
  options: ActorOption = {},
): Promise<{ token: string; info: TokenInfo }> {
  for (const [what, v] of [
    ['name', input.name],
    ...(input.namespaces ?? []).map((n) => ['namespace', n]),
  ] as const)
    if (!NAME_PATTERN.test(v))
      throw new SetpointError(
        `invalid token ${what} "${v}"`,
        'SETPOINT_INVALID_ARGUMENT',
        'use lower-case letters, digits, "-" and "."',
      );
  if (!isRole(input.role))
    throw new SetpointError(
      `unknown role "${String(input.role)}"`,
      'SETPOINT_INVALID_ARGUMENT',
      `roles: ${ROLES.join(', ')}`,
    );
  const token = generateToken();
  const record: TokenRecord = {
    name: input.name,
    role: input.role,
    namespaces: [...new Set(input.namespaces ?? [])].sort(),
    hash: hashToken(token),
    createdAt: new Date().toISOString(),
    createdBy: options.actor ?? ctx.actor,
  };
  if (!(await (await ctx.store()).createToken(record)))
    throw new SetpointError(
      `a token named ${input.name} exists`,
      'SETPOINT_CONFLICT',
      `revoke it first (\`setpoint token revoke ${input.name}\`) or pick another name`,
    );
  await ctx.audit('token.create', {
    time: record.createdAt,
    actor: record.createdBy,
    result: 'created',
    detail: { name: record.name, role: record.role, namespaces: record.namespaces },
  });
  return { token, info: tokenInfo(record) };
}

/** API tokens, revoked ones too; never their hashes. */
export async function listTokens(ctx: ApiContext): Promise<TokenInfo[]> {
  return (await (await ctx.store()).listTokens()).map(tokenInfo);
}

/** Tokens that authenticate, with their hashes: for the server's authenticator. */
export async function activeTokens(ctx: ApiContext): Promise<TokenRecord[]> {
  return (await (await ctx.store()).listTokens()).filter((t) => !t.revokedAt);
}

export async function revokeToken(ctx: ApiContext, name: string, options: ActorOption = {}): Promise<void> {
  const actor = options.actor ?? ctx.actor;
  const now = new Date().toISOString();
  if (!(await (await ctx.store()).revokeToken(name, now, actor)))
    throw new SetpointError(
      `no active token named ${name}`,
      'SETPOINT_NOT_FOUND',
      '`setpoint token list` lists them',
    );
  await ctx.audit('token.revoke', { time: now, actor, result: 'revoked', detail: { name } });
}

function tokenInfo(t: TokenRecord): TokenInfo {
  const { hash: _hash, ...info } = t;
  return info;
}
