/**
 * The programmatic API. The CLI and the HTTP server are thin shells over
 * this module, so every feature exists once.
 */
import { userInfo } from 'node:os';
import { Engine, type ApplyHooks, type ApplyReport, type DriftReport, type Planned, type PlanRequest } from './engine/index.js';
import { acquireStateLock, type HeldLock } from './engine/lock.js';
import { observeOne } from './engine/observe.js';
import { declaredRecord } from './engine/records.js';
import type { Change } from './diff/index.js';
import { toJSONSchema } from 'zod';
import { Diagnostics, documentSchema, FileCompiledCache, type CompiledCache, normalizeId, type Diagnostic, type ResourceId } from './manifest/index.js';
import { defaultRegistry } from './providers/index.js';
import type { ProviderRegistry } from './provider/registry.js';
import { loadSettings, stateDir, type Settings } from './project/index.js';
import { join, resolve } from 'node:path';
import { codeIdentity } from './version.js';
import { SecretResolver } from './secrets/index.js';
import { openStore } from './store/open.js';
import type { EventRecord, ResourceFilter, ResourceRecord, RevisionRecord, RunRecord, Store } from './store/index.js';
import { createLogger, flushLogger, silentLogger, type Logger } from './telemetry/index.js';
import { withoutIgnored } from './diff/index.js';
import { validateManifests } from './engine/validate.js';
import { resourceFromRecord } from './engine/engine.js';

export interface OpenOptions {
  /** Where to look for the project (setpoint.yaml upwards). Defaults to the current folder. */
  cwd?: string;
  /** The project root, explicitly (no search upwards). */
  project?: string;
  /** Overrides the state store location. */
  state?: string;
  /** JSON log file; false for none. Defaults to the settings' log file. */
  logFile?: string | false;
  logLevel?: string;
  /** Who acts. Defaults to the OS user. */
  actor?: string;
  registry?: ProviderRegistry;
  logger?: Logger;
}

export class SetpointError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
  }
}

export interface StatusSummary {
  resources: ResourceRecord[];
  counts: { total: number; bySync: Record<string, number>; byHealth: Record<string, number> };
}

export interface Description {
  id: ResourceId;
  record?: ResourceRecord;
  desired?: unknown;
  actual?: unknown;
  exists: boolean;
  changes: Change[];
  events: EventRecord[];
  diagnostics: Diagnostic[];
}

export class Setpoint {
  private storePromise: Promise<Store> | undefined;
  readonly secrets = new SecretResolver();

  private constructor(
    readonly settings: Settings,
    readonly registry: ProviderRegistry,
    readonly logger: Logger,
    readonly actor: string,
    readonly stateLocation: string,
    private readonly manifestCache: CompiledCache,
  ) {}

  static open(options: OpenOptions = {}): Setpoint {
    const { settings, diagnostics } = loadSettings(options.project ?? options.cwd ?? process.cwd(), options.project !== undefined);
    if (diagnostics.hasErrors)
      throw new SetpointError(`invalid settings in ${settings.file}`, 'SETPOINT_SETTINGS_INVALID', 'fix setpoint.yaml', diagnostics.items);
    const state = options.state ? (options.state.includes('://') ? options.state : resolve(options.state)) : settings.state;
    const workDir = stateDir(settings, state);
    const logFile = options.logFile === false ? undefined : (options.logFile ?? settings.log.file ?? join(workDir, 'setpoint.log'));
    const logger =
      options.logger ?? (options.logFile === false ? silentLogger() : createLogger({ file: logFile, level: options.logLevel ?? settings.log.level }));
    const registry = options.registry ?? defaultRegistry();
    const cache = new FileCompiledCache(join(workDir, 'cache', 'manifests'), `${codeIdentity()}|${registry.fingerprint()}|${settings.namespace}`);
    return new Setpoint(settings, registry, logger, options.actor ?? currentUser(), state, cache);
  }

  /** The store, opened on first use. */
  store(): Promise<Store> {
    this.storePromise ??= openStore(this.stateLocation).then(async (store) => {
      this.secrets.salt = await store.salt();
      return store;
    });
    return this.storePromise;
  }

  async engine(): Promise<Engine> {
    return new Engine({
      store: await this.store(),
      registry: this.registry,
      settings: this.settings,
      logger: this.logger,
      secrets: this.secrets,
      actor: this.actor,
      manifestCache: this.manifestCache,
    });
  }

  /** `-f` paths, or the project's manifest folders. */
  manifestPaths(paths?: readonly string[]): string[] {
    return paths && paths.length > 0 ? [...paths] : this.settings.manifests;
  }

  async validate(paths?: readonly string[]): Promise<{ resources: number; diagnostics: Diagnostic[] }> {
    return validateManifests({
      paths: this.manifestPaths(paths),
      registry: this.registry,
      projectRoot: this.settings.root,
      defaultNamespace: this.settings.namespace,
      parallelism: this.settings.parallelism,
    });
  }

  async plan(request: Omit<PlanRequest, 'paths'> & { paths?: readonly string[] }): Promise<Planned> {
    return (await this.engine()).plan({ ...request, paths: this.manifestPaths(request.paths) });
  }

  /** Holds the state lock for a mutating run. */
  async lock(timeoutMs = 0, what = 'apply'): Promise<HeldLock> {
    return acquireStateLock(await this.store(), { timeoutMs, what });
  }

  async apply(planned: Planned, options: { parallelism?: number; signal?: AbortSignal } & ApplyHooks = {}): Promise<ApplyReport> {
    if (planned.plan.diagnostics.some((d) => d.severity === 'error'))
      throw new SetpointError('the plan has errors; nothing was applied', 'SETPOINT_PLAN_INVALID', undefined, planned.plan.diagnostics);
    return (await this.engine()).apply(planned, options);
  }

  async drift(request: Omit<PlanRequest, 'paths'> & { paths?: readonly string[] }): Promise<DriftReport> {
    return (await this.engine()).drift({ ...request, paths: this.manifestPaths(request.paths) });
  }

  async status(filter: ResourceFilter = {}): Promise<StatusSummary> {
    const resources = await (await this.store()).listResources(filter);
    const bySync: Record<string, number> = {};
    const byHealth: Record<string, number> = {};
    for (const r of resources) {
      bySync[r.sync] = (bySync[r.sync] ?? 0) + 1;
      byHealth[r.health] = (byHealth[r.health] ?? 0) + 1;
    }
    return { resources, counts: { total: resources.length, bySync, byHealth } };
  }

  normalizeId(id: string): ResourceId {
    return normalizeId(id, this.settings.namespace);
  }

  async get(id: string): Promise<ResourceRecord | undefined> {
    return (await this.store()).getResource(this.normalizeId(id));
  }

  /** Desired (from the manifests, else the store), live actual state, the diff and recent events. */
  async describe(rawId: string, paths?: readonly string[]): Promise<Description> {
    const id = this.normalizeId(rawId);
    const store = await this.store();
    const engine = await this.engine();
    const record = await store.getResource(id);
    const desired = engine.loadDesired(this.manifestPaths(paths));
    const diagnostics = new Diagnostics();
    let resource = desired.resources.find((r) => r.id === id);
    if (!resource && record) resource = resourceFromRecord(record);
    const events = await store.listEvents({ resourceId: id, limit: 20 });
    if (!resource) return { id, record, exists: false, changes: [], events, diagnostics: desired.diagnostics.items };
    const obs = await observeOne(resource, {
      registry: this.registry,
      secrets: this.secrets,
      sourceRootOf: (f) => desired.sourceRootOf(f),
      locator: desired.locator,
      onEvent: () => undefined,
      parallelism: 1,
    });
    if (obs.error) diagnostics.add(obs.error);
    const changes = obs.error || obs.absent ? [] : withoutIgnored(obs.provider.diff(obs.desired, obs.actual), resource.lifecycle.ignoreChanges);
    const actual = obs.exists ? (obs.provider.display?.(obs.desired, obs.actual) ?? obs.actual) : undefined;
    return {
      id,
      record: record ?? declaredRecord(resource, obs.desiredDigest, desired.source, undefined, new Date().toISOString()),
      desired: resource.spec,
      actual,
      exists: obs.exists,
      changes,
      events,
      diagnostics: diagnostics.items,
    };
  }

  async history(limit = 20): Promise<{ runs: RunRecord[]; revisions: RevisionRecord[] }> {
    const store = await this.store();
    return { runs: await store.listRuns({ limit }), revisions: await store.listRevisions({ limit }) };
  }

  async events(id?: string, limit = 50): Promise<EventRecord[]> {
    return (await this.store()).listEvents({ resourceId: id ? this.normalizeId(id) : undefined, limit });
  }

  /** JSON Schema of one kind's documents, or of all. */
  schema(kind?: string): Record<string, unknown> {
    const kinds = kind ? [kind] : this.registry.kinds();
    const out: Record<string, unknown> = {};
    for (const k of kinds) {
      const provider = this.registry.get(k);
      if (!provider) throw new SetpointError(`unknown kind "${k}"`, 'SETPOINT_UNKNOWN_KIND', `kinds: ${this.registry.kinds().join(', ')}`);
      out[k] = { description: provider.description, ...toJSONSchema(documentSchema(k, provider.schema), { io: 'input', unrepresentable: 'any' }) };
    }
    return out;
  }

  async close(): Promise<void> {
    flushLogger(this.logger);
    if (this.storePromise) await (await this.storePromise).close();
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
