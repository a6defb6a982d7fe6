/** Probes and metrics: /healthz (alive), /readyz (leader: first revision admitted, acting, not stopping; follower: healthy; with the role), /metrics. */
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
        role: z
          .enum(['leader', 'follower'])
          .optional()
          .describe('Inside serve: whether this replica leads (acts) or follows (serves reads)'),
        replica: z.string().optional().describe('This replica: host:pid serve <replica id>'),
        leader: z.string().optional().describe('The lease holder that leads, as this replica last saw it'),
        term: z.number().optional().describe("The leader lease's term (fencing token)"),
        leaseExpiresAt: z.string().optional().describe("When the leader's lease runs out unless renewed"),
      }),
    },
    handler: (c) => {
      const status = ctx.serve?.status();
      const revision = status?.revision;
      const role = status?.leadership;
      const who = role && {
        role: role.role,
        replica: role.replica,
        leader: role.leader,
        term: role.term,
        leaseExpiresAt: role.leaseExpiresAt,
      };
      if (ctx.draining) return c.json({ ready: false, revision, reason: 'stopping', ...who }, 503);
      const degraded = status?.degraded ?? [];
      if (degraded.length > 0)
        return c.json(
          {
            ready: false,
            revision,
            reason: degraded.map((d) => d.message).join('; '),
            degraded: degraded.map((d) => ({ reason: d.reason, message: d.message, since: d.since })),
            ...who,
          },
          503,
        );
      // A leader whose lease ran out unrenewed (the state cannot be reached) starts no action: not ready until a renewal lands.
      if (role?.role === 'leader' && !role.leaseExpiresAt)
        return c.json(
          {
            ready: false,
            revision,
            reason: 'the leader lease is not renewed (the state cannot be reached)',
            ...who,
          },
          503,
        );
      // A healthy follower is ready: it serves reads and hands commands to the leader through the store.
      if (role?.role === 'follower') return c.json({ ready: true, ...who });
      if (ctx.serve && !revision)
        return c.json({ ready: false, reason: 'no revision admitted yet', ...who }, 503);
      return c.json({ ready: true, revision, ...who });
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
