/**
 * The fleet as serve's node target driver sees it (fleet/rollout-targets.ts):
 * the enrolled nodes, and each one with the set the server gives it now —
 * serve's desired state with its rollouts' pins, the same set the node's
 * long poll gets.
 */
import type { NodeView } from '../fleet/rollout-targets.js';
import type { ApiContext } from './context.js';
import { nodeSet, type CurrentDesired } from './fleet.js';

/** The fleet as the node target driver of serve sees it: `current` is serve's desired state with its rollouts. */
export function nodeView(ctx: ApiContext, current: () => CurrentDesired | undefined): NodeView {
  return {
    list: async () => (await ctx.store()).listNodes(),
    get: async (name) => {
      const node = await (await ctx.store()).getNode(name);
      if (!node) return undefined;
      const cur = current();
      if (!cur || node.revokedAt) return { node };
      const set = await nodeSet(ctx, name, cur);
      return {
        node,
        set: {
          digest: set.digest,
          ids: set.documents.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`),
        },
      };
    },
  };
}
