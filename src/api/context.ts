/**
 * What every API concern works with: the project's settings, the provider
 * registry, the logger and actor, and the store, engine and sources, each
 * made on first use. The concern modules (apply.ts, sources.ts, ...) are
 * functions of this context; the `Setpoint` facade forwards to them.
 */
import { join, resolve } from 'node:path';
import { Engine } from '../engine/index.js';
import { checkDesired } from '../engine/admission-check.js';
import { unplacedWarnings } from '../fleet/unplaced.js';
import { normalizeId, type CompiledCache, type ResourceId } from '../manifest/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import { stateDir, type Settings } from '../project/index.js';
import type { RenderInputs } from '../render/index.js';
import { SecretResolver, type SecretRef } from '../secrets/index.js';
import { SourceSet } from '../source/sources.js';
import { openStore } from '../store/open.js';
import type { AuditEntry, AuditInput, Store } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';

/** An audit entry's fields besides its action; time and actor default to now and the API's actor. */
export type AuditFields = Omit<AuditInput, 'action' | 'time' | 'actor'> & { time?: string; actor?: string };

export interface ApiParts {
  settings: Settings;
  registry: ProviderRegistry;
  logger: Logger;
  actor: string;
  stateLocation: string;
  /** Where the PostgreSQL state's password comes from; resolved when the store opens. */
  statePasswordRef?: SecretRef;
  manifestCache: CompiledCache;
  rendering: RenderInputs;
  /**
   * A read-only command where no state exists yet: the store is an empty one
   * in memory, so nothing is created on disk. Defaults to false.
   */
  ephemeral?: boolean;
}

export class ApiContext implements ApiParts {
  readonly settings: Settings;
  readonly registry: ProviderRegistry;
  readonly logger: Logger;
  readonly actor: string;
  readonly stateLocation: string;
  readonly statePasswordRef: SecretRef | undefined;
  readonly manifestCache: CompiledCache;
  readonly rendering: RenderInputs;
  readonly ephemeral: boolean;
  readonly secrets = new SecretResolver();
  private storePromise: Promise<Store> | undefined;
  private enginePromise: Promise<Engine> | undefined;
  private sourceSet: SourceSet | undefined;
  /** The store once open (sync access for the parts made after it). */
  storeNow: Store | undefined;

  constructor(parts: ApiParts) {
    this.settings = parts.settings;
    this.registry = parts.registry;
    this.logger = parts.logger;
    this.actor = parts.actor;
    this.stateLocation = parts.stateLocation;
    this.statePasswordRef = parts.statePasswordRef;
    this.manifestCache = parts.manifestCache;
    this.rendering = parts.rendering;
    this.ephemeral = parts.ephemeral ?? false;
  }

  /** The store, opened on first use. */
  store(): Promise<Store> {
    this.storePromise ??= this.openStore().then(async (store) => {
      this.storeNow = store;
      this.secrets.salt = await store.salt();
      return store;
    });
    return this.storePromise;
  }

  private async openStore(): Promise<Store> {
    if (this.ephemeral) return openStore(':memory:');
    // Resolved through the secret resolver, so the value is scrubbed from every output from here on.
    const ref = this.statePasswordRef;
    // A password file usually ends with a newline that is not part of the password.
    const password = ref && (await this.secrets.resolve(ref, this.settings.root)).replace(/\r?\n$/, '');
    return openStore(this.stateLocation, { password: password || undefined });
  }

  /** True once the store was asked for (so close() has something to close). */
  get storeOpened(): Promise<Store> | undefined {
    return this.storePromise;
  }

  /**
   * The engine, made on first use. One per API instance: a plan's resources
   * carry event sinks bound to the engine that made them, so apply must run on
   * the same engine for command output to reach the run's events.
   */
  engine(): Promise<Engine> {
    this.enginePromise ??= this.makeEngine();
    return this.enginePromise;
  }

  private async makeEngine(): Promise<Engine> {
    return new Engine({
      store: await this.store(),
      registry: this.registry,
      settings: this.settings,
      logger: this.logger,
      secrets: this.secrets,
      actor: this.actor,
      manifestCache: this.manifestCache,
      render: this.rendering,
      workRoot: this.workRoot,
      facts: this.rendering.facts,
    });
  }

  /** The project's sources (folders and Git repositories). */
  async sources(): Promise<SourceSet> {
    if (!this.sourceSet) {
      const engine = await this.engine();
      this.sourceSet = this.newSourceSet(engine, await this.store());
    }
    return this.sourceSet;
  }

  /** A source set of one folder source "local" over `-f` paths. */
  sourceSetFor(paths: readonly string[], engine: Engine): SourceSet {
    return this.newSourceSet(engine, this.storeNow!, paths);
  }

  private newSourceSet(engine: Engine, store: Store, paths?: readonly string[]): SourceSet {
    return new SourceSet({
      settings: this.settings,
      store,
      registry: this.registry,
      secrets: this.secrets,
      workDir: join(this.stateDir, 'sources'),
      load: (p, source) => engine.loadDesired(p, source),
      check: async (desired) => {
        const checked = await checkDesired(desired, this.registry);
        // Resources for nodes that no enrolled node selects: admitted, with a warning naming them.
        if (desired.nodeResources?.length)
          checked.diagnostics.push(...unplacedWarnings(desired.nodeResources, await store.listNodes()));
        return checked;
      },
      actor: this.actor,
      ...(paths ? { paths } : {}),
    });
  }

  /** `-f` paths, or the project's manifest folders. */
  manifestPaths(paths?: readonly string[]): string[] {
    if (paths && paths.length > 0) return [...paths];
    // With sources configured: the folder sources (Git sources are read from their revisions).
    if (this.settings.sources.length > 0)
      return this.settings.sources
        .filter((s) => s.path !== undefined)
        .map((s) => resolve(this.settings.root, s.path!));
    return this.settings.manifests;
  }

  normalizeId(id: string): ResourceId {
    return normalizeId(id, this.settings.namespace);
  }

  /** The folder beside the state (cache, sources, work). */
  get stateDir(): string {
    return stateDir(this.settings, this.stateLocation);
  }

  /** Where providers keep working files (pid files, logs): beside the state. */
  get workRoot(): string {
    return join(this.stateDir, 'work');
  }

  /** Appends one audit entry: `action` with its fields, at now, by the API's actor unless given. */
  async audit(action: string, fields: AuditFields): Promise<AuditEntry> {
    const { time, actor, ...rest } = fields;
    const [entry] = await (
      await this.store()
    ).appendAudit([{ time: time ?? new Date().toISOString(), actor: actor ?? this.actor, action, ...rest }]);
    return entry;
  }
}
