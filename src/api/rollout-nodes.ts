/**
 * Rollouts across nodes in progress, for the API paths that decide a node's
 * set without serve in this process (`render --node`, `plan --node`, `nodes`
 * run locally): read from the store, their two revisions loaded (serve
 * passes its own instead).
 */
import { nodeOfTarget, type NodeRollout } from '../rollout/index.js';
import type { DesiredState } from '../desired/desired.js';
import type { ApiContext } from './context.js';

/** Loaded revisions, per context, by source and revision id (a Git checkout each). */
const loaded = new WeakMap<ApiContext, Map<string, Promise<DesiredState>>>();

function load(ctx: ApiContext, source: string, revision: string): Promise<DesiredState> {
  let m = loaded.get(ctx);
  if (!m) loaded.set(ctx, (m = new Map<string, Promise<DesiredState>>()));
  const key = `${source}\0${revision}`;
  let p = m.get(key);
  if (!p) {
    p = ctx
      .sources()
      .then((s) => s.load(source, revision))
      .then((a) => a.desired!);
    p.catch(() => m.delete(key));
    m.set(key, p);
  }
  return p;
}

/** The store's rollouts in progress whose targets are nodes, with both revisions loaded. */
export async function storedNodeRollouts(ctx: ApiContext): Promise<NodeRollout[]> {
  if (ctx.settings.rollouts.length === 0) return [];
  const store = await ctx.store();
  const out: NodeRollout[] = [];
  for (const spec of ctx.settings.rollouts) {
    const [record] = await store.listRollouts({ source: spec.source, active: true, limit: 1 });
    if (!record?.targets.some((t) => nodeOfTarget(t) !== undefined)) continue;
    const [previous, next] = await Promise.all([
      load(ctx, spec.source, record.from),
      load(ctx, spec.source, record.to),
    ]);
    out.push({ spec, record, previous, next });
  }
  return out;
}
