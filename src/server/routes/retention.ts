/** Retention over HTTP: enforce the retention settings now (what serve does every retention.interval). Admin only; audited. */
import * as z from 'zod';
import { PruneResultSchema } from '../../api/contract.js';
import { requireUnscoped, type ServerContext } from '../context.js';
import type { Routes } from '../route.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'POST',
    path: '/api/v1/prune',
    tag: 'operations',
    summary: 'Delete history older than the retention settings',
    description:
      'Events, policy violations, finished runs, drift episodes, resolved alerts and SLI samples older than setpoint.yaml `retention` (`setpoint state prune`). The audit log is kept. Needs an unscoped admin token. Audited.',
    auth: 'admin',
    body: z.strictObject({}).optional(),
    response: { schema: PruneResultSchema },
    handler: async (c, { principal }) => {
      requireUnscoped(principal, 'prune the state');
      return c.json(await ctx.api.prune({ actor: principal.name }));
    },
  });
}
