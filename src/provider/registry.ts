/**
 * The provider registry: built-in kinds plus any registered by plug-ins.
 * It is also the KindCatalog that manifest validation uses.
 */
import type * as z from 'zod';
import type { KindCatalog, PathClaim, ResourceKey } from '../manifest/index.js';
import type { AnyProvider } from './types.js';

/** Providers loaded on demand, by kind (providers/lazy.ts: the built-in ones). */
export interface ProviderLoader {
  /** The kinds it can load. */
  readonly kinds: readonly string[];
  load(kind: string): Promise<AnyProvider>;
}

export class ProviderRegistry implements KindCatalog {
  private readonly providers = new Map<string, AnyProvider>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    providers: Iterable<AnyProvider> = [],
    private readonly loader?: ProviderLoader,
  ) {
    for (const p of providers) this.register(p);
  }

  /**
   * Makes sure the providers of `kinds` are registered, loading those the
   * loader knows (kinds it does not know are left to validation to report).
   * A registry without a loader has all it will have: nothing to do.
   */
  async load(kinds: Iterable<string>): Promise<void> {
    const loader = this.loader;
    if (!loader) return;
    const waits: Array<Promise<void>> = [];
    for (const kind of new Set(kinds)) {
      if (this.providers.has(kind) || !loader.kinds.includes(kind)) continue;
      let wait = this.loading.get(kind);
      if (!wait) {
        wait = loader.load(kind).then(
          (p) => {
            if (!this.providers.has(kind)) this.register(p);
          },
          (err: unknown) => {
            this.loading.delete(kind);
            throw err;
          },
        );
        this.loading.set(kind, wait);
      }
      waits.push(wait);
    }
    await Promise.all(waits);
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

  /** The kinds registered (loaded) so far. */
  kinds(): string[] {
    return [...this.providers.keys()].sort();
  }

  /**
   * Identifies the kinds and their versions, for caches of validated
   * manifests. Kinds the loader knows count whether loaded yet or not (their
   * versions come with the code, which the cache key names too): the
   * fingerprint of a lazy registry does not change as it loads.
   */
  fingerprint(): string {
    const lazy = new Set(this.loader?.kinds);
    return [...new Set([...this.providers.keys(), ...lazy])]
      .sort()
      .map((k) => `${k}@${lazy.has(k) ? 'lazy' : (this.providers.get(k)!.version ?? '')}`)
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
