/**
 * Makes the Policy kind known to manifest validation next to the provider
 * kinds: Policy documents are checked against PolicySpecSchema with the same
 * envelope, ids and diagnostics as every resource, without being a provider.
 */
import type * as z from 'zod';
import type { KindCatalog, ResourceKey } from '../manifest/index.js';
import { POLICY_KIND, PolicySpecSchema } from './schema.js';

const wrapped = new WeakMap<KindCatalog, KindCatalog>();

/** `catalog` plus Policy. The same wrapper is returned for the same catalog (validation caches by catalog). */
export function withPolicyKind(catalog: KindCatalog): KindCatalog {
  let w = wrapped.get(catalog);
  if (!w) {
    w = {
      kinds: () => [...new Set([...catalog.kinds(), POLICY_KIND])].sort(),
      specSchema: (kind: string): z.ZodType | undefined =>
        kind === POLICY_KIND ? PolicySpecSchema : catalog.specSchema(kind),
      claims: (kind: string, spec: unknown, key?: ResourceKey) =>
        kind === POLICY_KIND ? [] : (catalog.claims?.(kind, spec, key) ?? []),
      subscribesTo: (kind: string, spec: unknown) =>
        kind === POLICY_KIND ? [] : (catalog.subscribesTo?.(kind, spec) ?? []),
    };
    wrapped.set(catalog, w);
  }
  return w;
}
