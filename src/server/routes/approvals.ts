/** Approvals: what serve proposed and waits for a person; approve and reject (role approver, within the token's namespaces). */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import type { ApprovalRecord } from '../../store/index.js';
import { requireScope, visible, type ServerContext } from '../context.js';
import { notFound } from '../errors.js';
import type { Routes } from '../route.js';
import type { Principal } from '../../auth/index.js';

const STATES = ['pending', 'approved', 'rejected', 'stale', 'applied', 'all'] as const;

const Decision = z.strictObject({
  note: z.string().max(2000).optional().describe('Why, for the audit log.'),
  nodes: z
    .array(z.string().min(1))
    .optional()
    .describe("A fleet approval: decide only these nodes' targets. Defaults to every pending target."),
});

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  /** The approval by id or unique prefix, if the caller may see it. */
  async function find(idOrPrefix: string, principal: Principal): Promise<ApprovalRecord> {
    const approval = await api.approval(idOrPrefix);
    if (!approval) throw notFound(`no approval ${idOrPrefix}`, 'GET /api/v1/approvals lists them');
    requireScope(principal, approval.resourceId);
    return approval;
  }

  routes.add({
    method: 'GET',
    path: '/api/v1/approvals',
    tag: 'approvals',
    summary: 'List approvals',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.ApprovalSchema) },
    query: z.strictObject({
      state: z.enum(STATES).optional().describe('Defaults to pending; all for every approval.'),
    }),
    handler: async (c, { query, principal }) => {
      const state = query.state ?? 'pending';
      const list = await api.approvals(state === 'all' ? undefined : state);
      return c.json({ items: list.filter((a) => visible(principal, a.resourceId)) });
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/approvals/:id',
    tag: 'approvals',
    summary: 'Get one approval (id or unique prefix)',
    auth: 'viewer',
    response: { schema: C.ApprovalSchema },
    handler: async (c, { params, principal }) => c.json(await find(params.id, principal)),
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/approvals/:id/approve',
    tag: 'approvals',
    summary: 'Approve a proposed action',
    description:
      'Refused (409) when the desired or actual state changed since it was proposed. Audited with the token name.',
    auth: 'approver',
    response: { schema: C.ApprovalSchema },
    body: Decision,
    handler: async (c, { params, body, principal }) => {
      const approval = await find(params.id, principal);
      return c.json(
        await api.approve(approval.id, { note: body.note, nodes: body.nodes, actor: principal.name }),
      );
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/approvals/:id/reject',
    tag: 'approvals',
    summary: 'Reject a proposed action',
    description: 'Serve leaves the resource as it is. Audited with the token name.',
    auth: 'approver',
    response: { schema: C.ApprovalSchema },
    body: Decision,
    handler: async (c, { params, body, principal }) => {
      const approval = await find(params.id, principal);
      return c.json(await api.reject(approval.id, body.note, { actor: principal.name, nodes: body.nodes }));
    },
  });
}
