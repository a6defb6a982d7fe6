/** Host facts as the API shows them: built-in facts plus the project's custom ones. */
import { factSource, type Facts } from '../facts/index.js';
import type { ApiContext } from './context.js';

/** The facts manifests and templates see (`${facts.*}`); throws a SetpointError naming a failing custom fact. */
export function facts(ctx: ApiContext): Facts {
  const source =
    ctx.rendering.facts ??
    factSource({ dir: ctx.settings.facts.dir, timeoutMs: ctx.settings.facts.timeoutMs });
  return source();
}
