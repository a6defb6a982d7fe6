/** API tokens (role admin, unscoped): list, create (the token is in the answer, once), revoke. */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import { ROLES } from '../../auth/index.js';
import { requireUnscoped, type ServerContext } from '../context.js';
import type { Routes } from '../route.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  routes.add({
    method: 'GET',
    path: '/api/v1/tokens',
    tag: 'tokens',
    summary: 'List tokens (never their secrets)',
    auth: 'admin',
    response: { schema: C.itemsOf(C.TokenInfoSchema) },
    handler: async (c, { principal }) => {
      requireUnscoped(principal, 'manage tokens', 'a token can reach every namespace');
      return c.json({ items: await api.listTokens() });
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/tokens',
    tag: 'tokens',
    summary: 'Create a token',
    description: 'The answer holds the token; it is shown this once and stored only as a sha256. Audited.',
    auth: 'admin',
    response: { status: 201, schema: C.CreatedTokenSchema },
    body: z.strictObject({
      name: z.string().min(1),
      role: z.enum(ROLES),
      namespaces: z
        .array(z.string())
        .optional()
        .describe('Scope: only these namespaces. Default: every namespace.'),
    }),
    handler: async (c, { body, principal }) => {
      requireUnscoped(principal, 'manage tokens', 'a token can reach every namespace');
      const created = await api.createToken(body, { actor: principal.name });
      ctx.auth.invalidate();
      return c.json(created, 201);
    },
  });

  routes.add({
    method: 'DELETE',
    path: '/api/v1/tokens/:name',
    tag: 'tokens',
    summary: 'Revoke a token',
    auth: 'admin',
    response: { schema: z.object({ revoked: z.string() }) },
    handler: async (c, { params, principal }) => {
      requireUnscoped(principal, 'manage tokens', 'a token can reach every namespace');
      await api.revokeToken(params.name, { actor: principal.name });
      ctx.auth.invalidate();
      return c.json({ revoked: params.name });
    },
  });
}
