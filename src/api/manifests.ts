/** Reading manifests without state: validate, render, the kinds and their JSON Schemas. */
import { validateManifests, type ValidateResult } from '../engine/validate.js';
import { SetpointError } from '../errors.js';
import { Diagnostics, type Diagnostic } from '../manifest/index.js';
import { POLICY_DESCRIPTION, POLICY_KIND, withPolicyKind } from '../policy/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import { renderPaths, type RenderedDocument } from '../render/index.js';
import type { ApiContext } from './context.js';
import { kindDocumentSchema } from './json-schemas.js';

export async function validate(ctx: ApiContext, paths?: readonly string[]): Promise<ValidateResult> {
  return validateManifests({
    paths: ctx.manifestPaths(paths),
    registry: ctx.registry,
    projectRoot: ctx.settings.root,
    defaultNamespace: ctx.settings.namespace,
    render: ctx.rendering,
    parallelism: ctx.settings.parallelism,
  });
}

/** The final documents after variables and overlays, before kinds are validated (`setpoint render`). */
export function render(
  ctx: ApiContext,
  options: { paths?: readonly string[] } = {},
): { environment?: string; documents: RenderedDocument[]; diagnostics: Diagnostic[] } {
  const diags = new Diagnostics();
  const documents = renderPaths(ctx.manifestPaths(options.paths), ctx.rendering, diags);
  return { environment: ctx.rendering.environment, documents, diagnostics: diags.items };
}

/** The kinds manifests may declare, with one sentence each: every provider's, and Policy (validated, never managed). */
export function kinds(registry: ProviderRegistry): Array<{ kind: string; description: string }> {
  return withPolicyKind(registry)
    .kinds()
    .map((kind) => ({
      kind,
      description: kind === POLICY_KIND ? POLICY_DESCRIPTION : (registry.get(kind)?.description ?? ''),
    }));
}

/** JSON Schema of one kind's documents, or of all, by kind. */
export function schema(registry: ProviderRegistry, kind?: string): Record<string, unknown> {
  const known = kinds(registry).map((k) => k.kind);
  const out: Record<string, unknown> = {};
  for (const k of kind ? [kind] : known) {
    const one = kindDocumentSchema(registry, k);
    if (!one)
      throw new SetpointError(`unknown kind "${k}"`, 'SETPOINT_UNKNOWN_KIND', `kinds: ${known.join(', ')}`);
    out[k] = one;
  }
  return out;
}
