/**
 * The agent's gates over HTTP: POST .../gates with the approvals its local
 * serve proposed; the answer holds the change windows that select the node
 * and the decisions on its approvals. With wait=S it is a long poll that
 * answers as soon as one of its pending approvals is decided. A node token
 * reads and reports only for its own node.
 */
import * as z from 'zod';
import type { ServerContext } from '../context.js';
import { forbidden } from '../errors.js';
import type { Routes } from '../route.js';

const STATES = ['pending', 'approved', 'rejected', 'stale', 'applied'] as const;

const Report = z.looseObject({
  localId: z.string().min(1).max(100),
  resourceId: z.string().min(1).max(1000),
  revision: z.string().max(500).optional(),
  op: z.string(),
  reason: z.string().max(4000),
  destructive: z.boolean(),
  changes: z.array(z.looseObject({ path: z.string() })).max(1000),
  desiredDigest: z.string(),
  changeDigest: z.string(),
  state: z.enum(STATES),
  createdAt: z.string(),
});

const Decision = z.object({
  localId: z.string(),
  approval: z.string().describe('The fleet approval on the server'),
  state: z.enum(['approved', 'rejected']),
  by: z.string(),
  at: z.string(),
  note: z.string().optional(),
});

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'POST',
    path: '/api/v1/fleet/nodes/:name/gates',
    tag: 'fleet',
    summary: "Exchange the node's approvals for its windows and decisions (long poll)",
    description:
      'The agent sends the approvals its local serve proposed (pending ones and recently settled ones). Equal proposals of many nodes (same resource, revision and change digest) are one fleet approval. The answer: the change windows whose nodeSelector selects the node, and decisions on its pending approvals; with wait=S (at most 60) it waits until one is decided.',
    auth: 'node',
    query: z.object({ wait: z.coerce.number().int().min(0).max(60).optional() }),
    body: z.strictObject({ approvals: z.array(Report).max(500) }),
    response: {
      schema: z.object({
        windows: z.array(z.looseObject({ name: z.string(), type: z.enum(['deny', 'allow']) })),
        decisions: z.array(Decision),
      }),
    },
    handler: async (c, { params, query, body, principal }) => {
      if (principal.node !== params.name)
        throw forbidden(
          `node ${principal.node} may not act for node ${params.name}`,
          'a node reads and reports only for itself',
        );
      const abort = new AbortController();
      c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
      const answer = await ctx.api.exchangeNodeGates(
        params.name,
        {
          approvals: body.approvals,
          // A draining server answers at once, as the set's long poll does.
          waitSeconds: ctx.draining ? 0 : query.wait,
        },
        abort.signal,
      );
      for (const d of answer.decisions) ctx.metrics?.fleetDecisions.inc({ decision: d.state });
      return c.json(answer);
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/nodes/:name/windows',
    tag: 'fleet',
    summary: 'List the change windows that select a node',
    description:
      "The windows whose nodeSelector selects the node (its labels and facts), without the selector: what the node's agent enforces.",
    auth: 'viewer',
    response: {
      schema: z.object({
        items: z.array(z.looseObject({ name: z.string(), type: z.enum(['deny', 'allow']) })),
      }),
    },
    handler: async (c, { params }) => c.json({ items: await ctx.api.nodeWindows(params.name) }),
  });
}
