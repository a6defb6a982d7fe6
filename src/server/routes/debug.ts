/**
 * The dashboard's debug and on-call reads: a resource's reconcile spans,
 * what is known of a resource that no longer exists, and convergence per
 * critical resource.
 */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import { parseDuration } from '../../util/duration.js';
import { requireScope, resourceIdParam, type ServerContext } from '../context.js';
import { notFound } from '../errors.js';
import { count, type Routes } from '../route.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  routes.add({
    method: 'GET',
    path: '/api/v1/resources/:kind/:namespace/:name/spans',
    tag: 'resources',
    summary: "A resource's reconcile spans",
    description:
      'Its recent reconciles under serve, newest first: the phases (observe, diff, plan, act, verify) with their start and duration, the outcome, the revision, and the OpenTelemetry trace id when tracing exports spans (with a link when `telemetry.traceUrl` is set). A reconcile that finds the same steady state as the last one kept (in sync, drift left alone, held) is kept once per 10 minutes; at most 50 per resource are kept, and retention deletes them with the events. Kept after the resource is deleted.',
    auth: 'viewer',
    query: z.strictObject({
      limit: count(50).optional().describe('At most N spans. Defaults to 50.'),
    }),
    response: { schema: C.itemsOf(C.ReconcileSpanSchema) },
    handler: async (c, { params, query, principal }) => {
      const id = resourceIdParam(params);
      requireScope(principal, id);
      return c.json({ items: await api.spans(id, { limit: query.limit }) });
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/resources/:kind/:namespace/:name/fate',
    tag: 'resources',
    summary: 'Whether a resource exists, and how a deleted one went',
    description:
      'For a resource whose record is gone: when it was deleted, by which audited action (serve.delete, apply.delete, state.rm), actor and revision, and when setpoint last saw it. 404 when the state has never known it.',
    auth: 'viewer',
    response: { schema: C.ResourceFateSchema },
    handler: async (c, { params, principal }) => {
      const id = resourceIdParam(params);
      requireScope(principal, id);
      const fate = await api.fate(id);
      if (!fate.exists && !fate.lastSeen && !fate.deletion)
        throw notFound(`no resource ${id}, now or in its history`, 'GET /api/v1/resources lists them');
      return c.json(fate);
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/convergence/critical',
    tag: 'status',
    summary: 'Convergence p95/p99 per critical resource',
    description:
      'For each resource with `lifecycle.priority: critical`: the time from drift detected to in sync again of its drift episodes that ended in the window (count, p50, p95, p99 in ms), and since when it drifts if it does now. Worst p99 first. Scoped tokens: their namespaces only.',
    auth: 'viewer',
    query: z.strictObject({
      window: z
        .string()
        .refine((d) => {
          const ms = parseDuration(d) ?? 0;
          return ms > 0 && ms <= 90 * 24 * 3600_000;
        }, 'a duration above zero and at most 90 days, such as 24h or 7d')
        .optional()
        .describe('How far back, e.g. 24h, 7d. Defaults to 7d.'),
    }),
    response: { schema: C.CriticalConvergenceSchema },
    handler: async (c, { query, principal }) =>
      c.json(
        await api.criticalConvergence({
          windowMs: query.window ? parseDuration(query.window) : undefined,
          namespaces: principal.namespaces,
          // Under serve the declared critical resources are known in memory: only their records are read.
          ids: ctx.serve?.current?.desired.resources
            .filter((r) => r.lifecycle.priority === 'critical')
            .map((r) => r.id),
        }),
      ),
  });
}
