/** Rollouts: their state (viewer); pause, resume and abort (operator) and promote (approver), carried out by the leader. */
import * as z from 'zod';
import * as C from '../../api/contract.js';
import { requireUnscoped, type ServerContext } from '../context.js';
import type { Routes } from '../route.js';
import type { RolloutVerb } from '../../rollout/index.js';

const Source = z.strictObject({
  source: z.string().min(1).optional().describe('The source (default: the only one with a strategy).'),
});

/** Who may do what: pausing, resuming and aborting (a rollback, as a pin is) are an operator's; promoting past a gate is an approver's. */
const ROLE: Record<RolloutVerb, 'operator' | 'approver'> = {
  pause: 'operator',
  resume: 'operator',
  promote: 'approver',
  abort: 'operator',
};

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  routes.add({
    method: 'GET',
    path: '/api/v1/rollouts',
    tag: 'rollouts',
    summary: 'The latest rollout of each source with a strategy',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.RolloutSchema) },
    query: Source,
    errors: [{ status: 404, description: 'The source has no rollout strategy' }],
    handler: async (c, { query }) => c.json({ items: await api.rollouts(query.source) }),
  });

  for (const verb of ['pause', 'resume', 'promote', 'abort'] as const)
    routes.add({
      method: 'POST',
      path: `/api/v1/rollouts/${verb}`,
      tag: 'rollouts',
      summary: `${verb[0].toUpperCase()}${verb.slice(1)} a rollout`,
      description:
        verb === 'abort'
          ? 'Every target goes back to the previous revision and the source is pinned there. Audited with the token name; needs an unscoped token.'
          : verb === 'promote'
            ? 'The current step counts as done (its gate as passed) and the next one starts. Audited with the token name; needs an unscoped token.'
            : 'Carried out by the leader; answers the rollout after it acted. Audited with the token name; needs an unscoped token.',
      auth: ROLE[verb],
      response: { schema: C.RolloutSchema },
      body: Source,
      errors: [{ status: 404, description: 'No rollout strategy is configured, or the source has none' }],
      handler: async (c, { body, principal }) => {
        requireUnscoped(principal, `${verb} a rollout`);
        return c.json(
          await api.rolloutCommand(verb, body.source, {
            actor: principal.name,
            // The leader may be this process: it reads the command now, not after this answer.
            stored: () => ctx.serve?.commandsWritten(),
          }),
        );
      },
    });
}
