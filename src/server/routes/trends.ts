/** Figures over time for charts (the dashboard's executive view): the drift ratio with revision annotations. */
import * as z from 'zod';
import type { ServerContext } from '../context.js';
import type { Routes } from '../route.js';
import { parseDuration } from '../../util/duration.js';
import { GoalStatusSchema, itemsOf } from '../../api/contract.js';

const DriftTrendSchema = z.object({
  from: z.string(),
  to: z.string(),
  resources: z.number().describe('Resources declared now: the denominator of every ratio.'),
  points: z.array(
    z.object({
      time: z.string().describe('When the interval ends.'),
      drifted: z.number().describe('Resources drifted at some moment of the interval.'),
      ratio: z.number(),
    }),
  ),
  revisions: z.array(
    z.object({
      id: z.string(),
      admittedAt: z.string(),
      convergedAt: z.string().optional(),
      convergenceSeconds: z.number().optional(),
    }),
  ),
});

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'GET',
    path: '/api/v1/trends/drift',
    tag: 'status',
    summary: 'Drift ratio over time',
    description:
      'The share of resources drifted at some moment of each interval of a window ending now (rebuilt from the recorded drift episodes), and the revisions admitted in the window with their convergence time. Scoped tokens: their namespaces only.',
    auth: 'viewer',
    query: z.strictObject({
      window: z
        .string()
        .refine((d) => {
          const ms = parseDuration(d) ?? 0;
          return ms > 0 && ms <= 90 * 24 * 3600_000;
        }, 'a duration above zero and at most 90 days, such as 1h, 24h or 7d')
        .optional()
        .describe('How far back, e.g. 1h, 24h. Defaults to 24h.'),
      points: z.coerce.number().int().min(1).max(1000).optional().describe('Intervals. Defaults to 96.'),
    }),
    response: { schema: DriftTrendSchema },
    handler: async (c, { query, principal }) =>
      c.json(
        await ctx.api.driftTrend({
          windowMs: query.window ? parseDuration(query.window) : undefined,
          points: query.points,
          namespaces: principal.namespaces,
        }),
      ),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/goals',
    tag: 'status',
    summary: 'Goals with their value, gap, trend and time left',
    description:
      'Every Target and Objective with its last reading per measure, the gap to the threshold, the trend over its review period and the time left to its deadline, from the samples serve keeps (no measure is read). Scoped tokens: their namespaces only.',
    auth: 'viewer',
    response: { schema: itemsOf(GoalStatusSchema) },
    handler: async (c, { principal }) =>
      c.json({ items: await ctx.api.goals({ namespaces: principal.namespaces }) }),
  });
}
