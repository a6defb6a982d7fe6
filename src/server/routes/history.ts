/** Events, the audit trail, policies and violations, revisions and runs: read-only history. */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import type { Principal } from '../../auth/index.js';
import { visible, type ServerContext } from '../context.js';
import { notFound } from '../errors.js';
import { count, sequence, type Routes } from '../route.js';

/** Scoped callers: read more than asked, keep what they may see, return the newest `limit`. */
function overfetch(principal: Principal, limit: number): number {
  return principal.namespaces.length === 0 ? limit : Math.min(10_000, limit * 10);
}

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  routes.add({
    method: 'GET',
    path: '/api/v1/events',
    tag: 'history',
    summary: 'List events',
    description:
      'The newest `limit` events, oldest first; with `after`, the next `limit` events after that sequence number.',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.EventSchema) },
    query: z.strictObject({
      resource: z
        .string()
        .optional()
        .describe('Only events of this resource id (Kind/name or Kind/namespace/name).'),
      limit: count(1000).optional().describe('Defaults to 50.'),
      after: sequence().optional().describe('Events after this sequence number (paging forward).'),
    }),
    handler: async (c, { query, principal }) => {
      const limit = query.limit ?? 50;
      const resourceId = query.resource ? api.normalizeId(query.resource) : undefined;
      const raw = await api.events(resourceId, overfetch(principal, limit), query.after);
      const mine = raw.filter((e) => visible(principal, e.resourceId));
      return c.json({ items: query.after !== undefined ? mine.slice(0, limit) : mine.slice(-limit) });
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/audit',
    tag: 'history',
    summary: 'List audit entries',
    description:
      'The newest `limit` entries of the hash-chained audit trail, oldest first; with `after`, the next ones after that sequence number.',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.AuditEntrySchema) },
    query: z.strictObject({
      resource: z.string().optional(),
      actor: z.string().optional(),
      action: z.string().optional(),
      since: z.string().optional().describe('ISO time.'),
      after: sequence().optional(),
      limit: count(10_000).optional().describe('Defaults to 100.'),
    }),
    handler: async (c, { query, principal }) => {
      const limit = query.limit ?? 100;
      const entries = await api.audit({
        resourceId: query.resource,
        actor: query.actor,
        action: query.action,
        since: query.since,
        afterSeq: query.after,
        limit: overfetch(principal, limit),
      });
      const mine = entries.filter((e) => visible(principal, e.resourceId));
      return c.json({ items: query.after !== undefined ? mine.slice(0, limit) : mine.slice(-limit) });
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/audit/verify',
    tag: 'history',
    summary: 'Verify the audit chain',
    description: '`ok` false names the first entry found edited, removed or out of order.',
    auth: 'viewer',
    response: { schema: C.AuditVerificationSchema },
    handler: async (c) => c.json(await api.verifyAudit()),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/policies',
    tag: 'history',
    summary: 'List policies and their violations',
    description:
      'The declared policies (rule, match, action) with violation counts, totals by policy and action, and the most recent violations (scoped tokens: of their namespaces).',
    auth: 'viewer',
    response: { schema: C.PolicyListingSchema },
    query: z.strictObject({
      policy: z.string().optional().describe('Only violations of this policy.'),
      limit: count(1000).optional().describe('Recent violations. Defaults to 20.'),
    }),
    handler: async (c, { query, principal }) => {
      const listing = await api.policies({ policy: query.policy, limit: query.limit });
      return c.json({
        ...listing,
        violations: listing.violations.filter((v) => visible(principal, v.resourceId)),
      });
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/revisions',
    tag: 'history',
    summary: 'List revisions',
    description: 'Revisions seen (admitted or refused), newest first, with when each converged.',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.RevisionSchema) },
    query: z.strictObject({ limit: count(1000).optional().describe('Defaults to 20.') }),
    handler: async (c, { query }) => c.json({ items: (await api.history(query.limit ?? 20)).revisions }),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/revisions/:id',
    tag: 'history',
    summary: 'Get one revision (id or prefix)',
    auth: 'viewer',
    response: { schema: C.RevisionSchema },
    handler: async (c, { params }) => {
      const rev = await api.revision(params.id);
      if (!rev) throw notFound(`no revision ${params.id}`, 'GET /api/v1/revisions lists them');
      return c.json(rev);
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/runs',
    tag: 'history',
    summary: 'List runs (apply and friends), newest first',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.RunSchema) },
    query: z.strictObject({ limit: count(1000).optional().describe('Defaults to 20.') }),
    handler: async (c, { query }) => c.json({ items: (await api.history(query.limit ?? 20)).runs }),
  });
}
