/**
 * Alerts and silences: the incidents serve's alert rules raised, their
 * acknowledgement (M9: was it actionable?), and maintenance silences. Reads
 * need viewer; acknowledging and silencing need operator. A silence can hold
 * back alerts of every namespace, so it needs an unscoped token.
 */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import type { Principal } from '../../auth/index.js';
import { requireUnscoped, visible, type ServerContext } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import type { Routes } from '../route.js';
import type { AlertRecord } from '../../store/alerts.js';
import { parseDuration } from '../../util/duration.js';

/** Alerts about a resource follow its namespace; project-wide ones need an unscoped token. */
function alertVisible(p: Principal, a: AlertRecord): boolean {
  return visible(p, a.labels.resource);
}

const ANY_NAMESPACE = 'a silence can match alerts of every namespace';

const SilenceBody = z.strictObject({
  matchers: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      'Label matchers, all must match: owner=team-web, alertname!=ApprovalPending, resource=~"File/web/.*"',
    ),
  duration: z
    .string()
    .refine((d) => (parseDuration(d) ?? 0) > 0, 'a duration above zero such as 90s, 30m, 2h or 1h30m')
    .describe('How long, e.g. 2h.'),
  comment: z.string().min(1).max(2000).describe('Why (shown in silence lists and the audit log).'),
  startsAt: z.iso.datetime({ offset: true }).optional().describe('Later start (ISO time); default now.'),
});

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  routes.add({
    method: 'GET',
    path: '/api/v1/alerts',
    tag: 'alerts',
    summary: 'List alert incidents',
    description:
      'Firing now, newest first (`setpoint alerts`); `all=true` or `since` adds resolved ones. Scoped tokens see the alerts of resources in their namespaces.',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.AlertSchema) },
    query: z.strictObject({
      all: z.enum(['true', 'false']).optional().describe('Resolved incidents too.'),
      since: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('Incidents that started at or after this time.'),
      limit: z.coerce.number().int().min(1).max(1000).optional().describe('At most N (default 100).'),
    }),
    handler: async (c, { query, principal }) => {
      const list = await api.alerts({
        all: query.all === 'true',
        since: query.since,
        limit: query.limit,
      });
      return c.json({ items: list.filter((a) => alertVisible(principal, a)) });
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/alerts/:id/ack',
    tag: 'alerts',
    summary: 'Acknowledge an alert as actionable or noise',
    description:
      'Counts toward the alert-noise figure (M9, `setpoint_alerts_acknowledged_total`). Audited with the token name.',
    auth: 'operator',
    response: { schema: C.AlertSchema },
    body: z.strictObject({
      actionable: z.boolean().describe('true: it needed someone to act; false: noise.'),
      comment: z.string().max(2000).optional().describe('Why, for the audit log.'),
    }),
    handler: async (c, { params, body, principal }) => {
      const alert = await api.alert(params.id);
      if (!alert) throw notFound(`no alert ${params.id}`, 'GET /api/v1/alerts?all=true lists them');
      if (!alertVisible(principal, alert))
        throw forbidden(
          `token ${principal.name} may not acknowledge alert ${alert.id}: it is outside its namespaces`,
        );
      return c.json(
        await api.ackAlert(alert.id, {
          actionable: body.actionable,
          comment: body.comment,
          actor: principal.name,
        }),
      );
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/silences',
    tag: 'alerts',
    summary: 'List silences',
    description: 'In force or pending (`all=true`: expired ones too), newest first, with their state now.',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.SilenceWithStateSchema) },
    query: z.strictObject({
      all: z.enum(['true', 'false']).optional().describe('Expired silences too.'),
    }),
    handler: async (c, { query }) => c.json({ items: await api.silences({ all: query.all === 'true' }) }),
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/silences',
    tag: 'alerts',
    summary: 'Create a silence',
    description:
      'Matching alerts are still recorded but not notified until it ends (`setpoint silence create`). Needs an unscoped token. Audited.',
    auth: 'operator',
    response: { status: 201, schema: C.SilenceSchema },
    body: SilenceBody,
    handler: async (c, { body, principal }) => {
      requireUnscoped(principal, 'create a silence', ANY_NAMESPACE);
      const silence = await api.createSilence({
        matchers: body.matchers,
        durationMs: parseDuration(body.duration)!,
        comment: body.comment,
        startsAt: body.startsAt ? new Date(body.startsAt) : undefined,
        actor: principal.name,
      });
      return c.json(silence, 201);
    },
  });

  routes.add({
    method: 'DELETE',
    path: '/api/v1/silences/:id',
    tag: 'alerts',
    summary: 'Expire a silence now',
    description:
      'Notifications of matching alerts resume (`setpoint silence expire`). Needs an unscoped token. Audited.',
    auth: 'operator',
    response: { schema: C.SilenceSchema },
    handler: async (c, { params, principal }) => {
      requireUnscoped(principal, 'expire a silence', ANY_NAMESPACE);
      return c.json(await api.expireSilence(params.id, { actor: principal.name }));
    },
  });
}
