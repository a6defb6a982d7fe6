/**
 * The provider registry: built-in kinds plus any registered by plug-ins.
 * It is also the KindCatalog that manifest validation uses.
 */
import type * as z from 'zod';
import type { KindCatalog, PathClaim, ResourceKey } from '../manifest/index.js';
import type { AnyProvider } from './types.js';

export class ProviderRegistry implements KindCatalog {
  private readonly providers = new Map<string, AnyProvider>();

  constructor(providers: Iterable<AnyProvider> = []) {
    for (const p of providers) this.register(p);
  }

  register(provider: AnyProvider): this {
    if (this.providers.has(provider.kind))
      throw new Error(`a provider for kind ${provider.kind} is already registered`);
    this.providers.set(provider.kind, provider);
    return this;
  }

  get(kind: string): AnyProvider | undefined {
    return this.providers.get(kind);
  }

  require(kind: string): AnyProvider {
    const p = this.providers.get(kind);
    if (!p) throw new Error(`no provider for kind ${kind}`);
    return p;
  }

  kinds(): string[] {
    return [...this.providers.keys()].sort();
  }

  /** Identifies the kinds and their versions, for caches of validated manifests. */
  fingerprint(): string {
    return this.kinds()
      .map((k) => `${k}@${this.providers.get(k)!.version ?? ''}`)
      .join(',');
  }

  specSchema(kind: string): z.ZodType | undefined {
    return this.providers.get(kind)?.schema;
  }

  claims(kind: string, spec: unknown, key?: ResourceKey): readonly PathClaim[] {
    return this.providers.get(kind)?.claims?.(spec, key) ?? [];
  }

  subscribesTo(kind: string, spec: unknown): readonly string[] {
    return this.providers.get(kind)?.subscribesTo?.(spec) ?? [];
  }
}
