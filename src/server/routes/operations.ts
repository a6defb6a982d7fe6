/** Operations: compute a plan, trigger a sync, pin and unpin sources (role operator). */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import { inScope, namespaceOf } from '../../auth/index.js';
import type { Admission } from '../../source/sources.js';
import { requireUnscoped, type ServerContext } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import type { Routes } from '../route.js';

const PlanBody = z.strictObject({
  targets: z.array(z.string()).optional().describe('Only these resource ids and what they depend on.'),
  prune: z.boolean().optional().describe('Plan deletes of resources no longer declared.'),
});

/** Admissions as data (without the loaded desired state). */
export function admissionsJson(list: readonly Admission[]): Array<z.output<typeof C.AdmissionSchema>> {
  return list.map((a) => ({
    source: a.source,
    revision: a.revision,
    known: a.known ?? false,
    diagnostics: a.diagnostics,
    violations: a.violations,
  }));
}

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;
  async function knownSource(name: string): Promise<void> {
    const names = (await api.sourcesStatus()).map((s) => s.name);
    if (!names.includes(name)) throw notFound(`no source ${name}`, `sources: ${names.join(', ')}`);
  }

  // One plan at a time: each observes every resource.
  let planning: Promise<unknown> = Promise.resolve();

  routes.add({
    method: 'POST',
    path: '/api/v1/plans',
    tag: 'operations',
    summary: 'Compute a plan for the current desired state',
    description:
      'Observes the targets and answers what `apply` would do (as `setpoint plan --json`, with changes as old/new values). Nothing is changed. Scoped tokens see the actions of their namespaces.',
    auth: 'operator',
    response: { schema: C.PlanAnswerSchema },
    body: PlanBody,
    handler: async (c, { body, principal }) => {
      for (const t of body.targets ?? []) {
        const ns = namespaceOf(api.normalizeId(t));
        if (ns === undefined || !inScope(principal, ns))
          throw forbidden(`token ${principal.name} may not plan ${t}`);
      }
      const run = planning.then(() => api.plan({ targets: body.targets, prune: body.prune }));
      planning = run.catch(() => undefined);
      const { plan } = await run;
      const mine = (id: string) => inScope(principal, namespaceOf(id) ?? '');
      const actions = plan.actions.filter((a) => mine(a.id));
      const changed = actions.filter((a) => a.op !== 'noop');
      const summary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 } as Record<string, number>;
      for (const a of actions) summary[a.op] = (summary[a.op] ?? 0) + 1;
      return c.json({
        revision: plan.revision,
        createdAt: plan.createdAt,
        summary: principal.namespaces.length ? summary : plan.summary,
        changes: changed.length > 0,
        actions,
        orphans: plan.orphans.filter(mine),
        diagnostics: plan.diagnostics.filter((d) => !d.resourceId || mine(d.resourceId)),
      });
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/sync',
    tag: 'operations',
    summary: 'Trigger a sync',
    description:
      "Fetches the sources now and admits their revisions (`setpoint sync`); serve follows at once and looks at every resource. Answers each source's admission. Audited with the token name.",
    auth: 'operator',
    response: { schema: C.itemsOf(C.AdmissionSchema) },
    body: z.strictObject({ source: z.string().optional().describe('One source (default: all).') }),
    handler: async (c, { body, principal }) =>
      c.json({ items: admissionsJson(await api.sync(body.source, { actor: principal.name })) }),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/sources',
    tag: 'operations',
    summary: 'List sources with their current and pinned revisions',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.SourceStatusSchema) },
    handler: async (c) => c.json({ items: await api.sourcesStatus() }),
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/sources/:name/pin',
    tag: 'operations',
    summary: 'Pin a source to a revision',
    description:
      'The desired state stays at that revision (a rollback) while new commits are only admitted (`setpoint rollback`). Needs an unscoped token.',
    auth: 'operator',
    response: { schema: C.RevisionSchema },
    body: z.strictObject({ revision: z.string().min(1).describe('Revision id or unique prefix.') }),
    handler: async (c, { params, body, principal }) => {
      requireUnscoped(principal, 'pin a source');
      await knownSource(params.name);
      return c.json(await api.rollback(body.revision, params.name, { actor: principal.name }));
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/sources/:name/unpin',
    tag: 'operations',
    summary: 'Unpin a source',
    description: 'The source follows its latest admitted revision again. Needs an unscoped token.',
    auth: 'operator',
    response: { schema: C.SourceStateSchema },
    handler: async (c, { params, principal }) => {
      requireUnscoped(principal, 'unpin a source');
      await knownSource(params.name);
      return c.json(await api.unpin(params.name, { actor: principal.name }));
    },
  });
}
