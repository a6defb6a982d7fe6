/** Resources: the list (filters, paging), one resource (stored or observed live), resume; status and info. */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import { HEALTH_STATUSES, SYNC_STATUSES, type HealthStatus, type SyncStatus } from '../../health/index.js';
import type { ResourceFilter } from '../../store/index.js';
import { VERSION } from '../../version.js';
import { requireScope, resourceIdParam, type ServerContext } from '../context.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { count, type Routes } from '../route.js';

/** `key=value,key2=value2` */
export function parseSelector(selector: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0)
      throw badRequest(
        `label selector: expected key=value, got "${part}"`,
        'e.g. selector=owner=team-web,tier=critical',
      );
    const key = part.slice(0, i);
    if (key in out)
      throw badRequest(`label selector: "${key}" appears twice`, 'each label once: key=value,other=value');
    out[key] = part.slice(i + 1).replace(/^=/, '');
  }
  return out;
}

const ListQuery = z.strictObject({
  kind: z.string().optional().describe('Only this kind.'),
  namespace: z.string().optional().describe('Only this namespace.'),
  sync: z.enum(SYNC_STATUSES as [SyncStatus, ...SyncStatus[]]).optional(),
  health: z.enum(HEALTH_STATUSES as [HealthStatus, ...HealthStatus[]]).optional(),
  selector: z.string().optional().describe('Label selector: key=value[,key=value…] (all must match).'),
  limit: count(100_000)
    .optional()
    .describe('At most N resources, in id order; the answer then carries `next`.'),
  after: z.string().optional().describe('Resources after this id (the `next` of the previous page).'),
});

const OneQuery = z.strictObject({
  live: z
    .enum(['true', 'false'])
    .optional()
    .describe(
      'true: observe the actual state now (desired, actual, diff; slower). Default: the stored record.',
    ),
  events: z.coerce
    .number()
    .int()
    .min(0)
    .max(500)
    .optional()
    .describe('How many recent events to include. Defaults to 20.'),
});

const StatusAnswer = z.object({
  serve: C.ServeStatusSchema.nullable().describe('null when the server runs outside serve'),
  store: z
    .enum(['sqlite', 'postgres'])
    .describe('sqlite: one serve process leads alone; postgres: replicas, one leader'),
  convergence: C.ConvergenceSchema,
  slos: z.array(C.SloStatusSchema),
});

const ResourceList = z.object({
  items: z.array(C.ResourceRecordSchema),
  counts: C.StatusCountsSchema,
  next: z.string().optional().describe('The id to pass as `after` for the next page'),
});

const OneResource = z.union([
  z.looseObject({ ...C.DescriptionSchema.shape, live: z.literal(true) }),
  z.object({
    id: z.string(),
    live: z.literal(false),
    record: C.ResourceRecordSchema,
    desired: z.unknown(),
    changes: z.array(C.StoredChangeSchema),
    events: z.array(C.EventSchema),
  }),
]);

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  routes.add({
    method: 'GET',
    path: '/api/v1/info',
    tag: 'status',
    summary: 'Who am I, and which server',
    auth: 'viewer',
    response: {
      schema: z.object({
        version: z.string(),
        namespace: z.string().describe('The default namespace of ids that name none.'),
        revision: z.string().optional(),
        token: z.object({ name: z.string(), role: z.string(), namespaces: z.array(z.string()) }),
      }),
    },
    handler: (c, { principal }) =>
      c.json({
        version: VERSION,
        namespace: api.settings.namespace,
        revision: ctx.serve?.status().revision,
        token: { name: principal.name, role: principal.role, namespaces: [...principal.namespaces] },
      }),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/status',
    tag: 'status',
    summary: 'Serve status and convergence figures',
    auth: 'viewer',
    response: { schema: StatusAnswer },
    handler: async (c) =>
      c.json({
        serve: ctx.serve?.status() ?? null,
        store: /^postgres(ql)?:/.test(api.stateLocation) ? 'postgres' : 'sqlite',
        convergence: await api.convergence(),
        slos: await api.slos(),
      }),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/resources',
    tag: 'resources',
    summary: 'List resources',
    description: 'Stored records with sync and health, in id order. `counts` covers the resources returned.',
    auth: 'viewer',
    response: { schema: ResourceList },
    query: ListQuery,
    handler: async (c, { query, principal }) => {
      const filter: ResourceFilter = {
        kind: query.kind,
        namespace: query.namespace,
        sync: query.sync,
        health: query.health,
        after: query.after,
        limit: query.limit,
      };
      if (query.selector) filter.labels = parseSelector(query.selector);
      if (principal.namespaces.length > 0) {
        if (query.namespace && !principal.namespaces.includes(query.namespace))
          throw forbidden(`token ${principal.name} may not list namespace ${query.namespace}`);
        if (!query.namespace) filter.namespaces = [...principal.namespaces];
      }
      const { resources, counts } = await api.status(filter);
      const next =
        query.limit !== undefined && resources.length === query.limit
          ? resources[resources.length - 1].id
          : undefined;
      return c.json({ items: resources, counts, next });
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/resources/:kind/:namespace/:name',
    tag: 'resources',
    summary: 'Get one resource',
    description:
      'Default: the stored record (desired spec, sync, health, conditions, the drift last seen) and recent events, read from the store without touching the target: cheap. `?live=true`: `describe`, which observes the actual state now and returns desired, actual and the diff.',
    auth: 'viewer',
    response: { schema: OneResource },
    query: OneQuery,
    handler: async (c, { query, params, principal }) => {
      const id = resourceIdParam(params);
      requireScope(principal, id);
      if (query.live === 'true') {
        const d = await api.describe(id, undefined, { desired: ctx.serve?.current?.desired });
        if (!d.record && d.desired === undefined)
          throw notFound(`no resource ${id}`, 'GET /api/v1/resources lists them');
        return c.json({ ...d, live: true });
      }
      const record = await api.get(id);
      if (!record) throw notFound(`no resource ${id}`, 'GET /api/v1/resources lists them');
      const n = query.events ?? 20;
      return c.json({
        id,
        live: false,
        record,
        desired: record.spec,
        changes: record.drift ?? [],
        events: n > 0 ? await api.events(id, n) : [],
      });
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/resources/:kind/:namespace/:name/resume',
    tag: 'resources',
    summary: 'Resume a resource in Conflict',
    description: 'Clears the repair history so serve remediates it again (`setpoint resume`). Audited.',
    auth: 'operator',
    response: { schema: C.ResourceRecordSchema },
    handler: async (c, { params, principal }) => {
      const id = resourceIdParam(params);
      requireScope(principal, id);
      return c.json(await api.resume(id, { actor: principal.name }));
    },
  });
}
