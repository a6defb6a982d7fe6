/** Probes and metrics: /healthz (alive), /readyz (first revision admitted, acting, not stopping), /metrics. */
import * as z from 'zod';
import type { Routes } from '../route.js';
import type { ServerContext } from '../context.js';
import { notFound } from '../errors.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'GET',
    path: '/healthz',
    tag: 'probes',
    summary: 'Liveness: the process answers',
    auth: 'public',
    response: { schema: z.object({ ok: z.literal(true) }) },
    handler: (c) => c.json({ ok: true }),
  });

  routes.add({
    method: 'GET',
    path: '/readyz',
    tag: 'probes',
    summary:
      'Readiness: the first revision is admitted, serve is acting (not degraded) and not stopping (503 otherwise, with the reason)',
    auth: 'public',
    response: {
      schema: z.object({
        ready: z.boolean(),
        revision: z.string().optional(),
        reason: z.string().optional(),
        degraded: z
          .array(z.object({ reason: z.string(), message: z.string(), since: z.string() }))
          .optional()
          .describe('Why serve is not acting (the state cannot be written, …): it resumes by itself'),
      }),
    },
    handler: (c) => {
      const status = ctx.serve?.status();
      const revision = status?.revision;
      if (ctx.draining) return c.json({ ready: false, revision, reason: 'stopping' }, 503);
      const degraded = status?.degraded ?? [];
      if (degraded.length > 0)
        return c.json(
          {
            ready: false,
            revision,
            reason: degraded.map((d) => d.message).join('; '),
            degraded: degraded.map((d) => ({ reason: d.reason, message: d.message, since: d.since })),
          },
          503,
        );
      if (ctx.serve && !revision) return c.json({ ready: false, reason: 'no revision admitted yet' }, 503);
      return c.json({ ready: true, revision });
    },
  });

  routes.add({
    method: 'GET',
    path: '/metrics',
    tag: 'probes',
    summary: 'Prometheus metrics',
    description:
      'Prometheus text format. Anonymous when setpoint.yaml says `server.metrics: public`; otherwise any valid token.',
    auth: ctx.api.settings.server.metrics === 'public' ? 'public' : 'viewer',
    response: {
      contentType: 'text/plain; version=0.0.4',
      description: 'Prometheus exposition format',
      schema: z.string(),
    },
    handler: async (c) => {
      if (!ctx.metrics) throw notFound('no metrics: the server runs outside serve');
      return c.body(await ctx.metrics.text(), 200, { 'Content-Type': ctx.metrics.contentType });
    },
  });
}
