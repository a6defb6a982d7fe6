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
import { loadPlugins, type PluginError } from './provider/plugins.js';
import { loadSettings, stateDir, type Settings } from './project/index.js';
import { join, resolve } from 'node:path';
import { codeIdentity } from './version.js';
import { SecretResolver } from './secrets/index.js';
import { openStore } from './store/open.js';
import type { ApprovalRecord, ApprovalState, EventRecord, ResourceFilter, ResourceRecord, RevisionRecord, RunRecord, Store } from './store/index.js';
import type { Serve } from './engine/controller/serve.js';
import type { WindowGate } from './engine/controller/reconciler.js';
import { evaluateWindows, windowSubject } from './engine/windows/index.js';
import { approvalDigest } from './engine/recorder.js';
import { buildPlan } from './engine/planner.js';
import type { Action } from './plan/index.js';
import type { Metrics } from './telemetry/metrics.js';
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

export interface ConvergenceFigures {
  revisions: Array<{ id: string; admittedAt: string; convergedAt?: string; convergenceSeconds?: number }>;
  driftEpisodes: number;
  /** Change seen -> drift recorded. */
  detectionMs: Percentiles;
  /** Drift recorded -> fix done. */
  remediationMs: Percentiles;
  /** Drift episodes fixed automatically / all drift episodes. */
  autoRemediationRatio?: number;
  /** Managed resources drifted now / all managed. */
  driftRatio?: number;
}

export interface Percentiles {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { count: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export class Setpoint {
  private storePromise: Promise<Store> | undefined;
  private enginePromise: Promise<Engine> | undefined;
  readonly secrets = new SecretResolver();

  private constructor(
    readonly settings: Settings,
    readonly registry: ProviderRegistry,
    readonly logger: Logger,
    readonly actor: string,
    readonly stateLocation: string,
    private readonly manifestCache: CompiledCache,
  ) {}

  static async open(options: OpenOptions = {}): Promise<Setpoint> {
    const { settings, diagnostics } = loadSettings(options.project ?? options.cwd ?? process.cwd(), options.project !== undefined);
    if (diagnostics.hasErrors)
      throw new SetpointError(`invalid settings in ${settings.file}`, 'SETPOINT_SETTINGS_INVALID', 'fix setpoint.yaml', diagnostics.items);
    const state = options.state ? (options.state.includes('://') ? options.state : resolve(options.state)) : settings.state;
    const workDir = stateDir(settings, state);
    const logFile = options.logFile === false ? undefined : (options.logFile ?? settings.log.file ?? join(workDir, 'setpoint.log'));
    const logger =
      options.logger ?? (options.logFile === false ? silentLogger() : createLogger({ file: logFile, level: options.logLevel ?? settings.log.level }));
    const registry = options.registry ?? defaultRegistry();
    if (settings.plugins.length > 0) {
      try {
        await loadPlugins(settings.plugins, settings.root, registry);
      } catch (err) {
        const e = err as PluginError;
        throw new SetpointError(e.message, e.code ?? 'SETPOINT_PLUGIN_INVALID', e.hint);
      }
    }
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
      workRoot: this.workRoot,
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

  async apply(planned: Planned, options: { parallelism?: number; signal?: AbortSignal; overrideWindow?: boolean } & ApplyHooks = {}): Promise<ApplyReport> {
    if (planned.plan.diagnostics.some((d) => d.severity === 'error'))
      throw new SetpointError('the plan has errors; nothing was applied', 'SETPOINT_PLAN_INVALID', undefined, planned.plan.diagnostics);
    const max = this.settings.reconcile.maxDeletesPerRun;
    const deletes = planned.plan.summary.delete;
    if (max !== undefined && deletes > max)
      throw new SetpointError(
        `the plan deletes ${deletes} resources, more than reconcile.maxDeletesPerRun (${max}); nothing was applied`,
        'SETPOINT_BLAST_RADIUS',
        'check the plan; raise maxDeletesPerRun in setpoint.yaml, or apply with --target in smaller steps',
      );
    return (await this.engine()).apply(planned, { ...options, windows: this.windowGate() });
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

  /** The seed's convergence figures, from what the store recorded. */
  async convergence(options: { revisions?: number; since?: string } = {}): Promise<ConvergenceFigures> {
    const store = await this.store();
    const revisions = (await store.listRevisions({ limit: options.revisions ?? 10 })).filter((r) => r.admitted);
    const episodes = await store.listEpisodes({ since: options.since, limit: 10_000 });
    const summaries = await store.listResourceSummaries(this.defaultSource);
    const closed = episodes.filter((e) => e.remediatedAt);
    const remediation = closed.filter((e) => e.resolution === 'auto' || e.resolution === 'approved').map((e) => Date.parse(e.remediatedAt!) - Date.parse(e.recordedAt));
    const detection = episodes.map((e) => Date.parse(e.recordedAt) - Date.parse(e.detectedAt));
    const drifted = summaries.filter((r) => r.sync === 'Drifted' || r.sync === 'Conflict').length;
    return {
      revisions: revisions.map((r) => ({
        id: r.id,
        admittedAt: r.createdAt,
        convergedAt: r.convergedAt,
        convergenceSeconds: r.convergedAt ? (Date.parse(r.convergedAt) - Date.parse(r.createdAt)) / 1000 : undefined,
      })),
      driftEpisodes: episodes.length,
      detectionMs: percentiles(detection),
      remediationMs: percentiles(remediation),
      autoRemediationRatio: episodes.length ? episodes.filter((e) => e.resolution === 'auto').length / episodes.length : undefined,
      driftRatio: summaries.length ? drifted / summaries.length : undefined,
    };
  }

  /** The source name of resources declared with -f or the project's manifests. */
  get defaultSource(): string {
    return 'local';
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

  /** Where providers keep working files (pid files, logs): beside the state. */
  get workRoot(): string {
    return join(stateDir(this.settings, this.stateLocation), 'work');
  }

  /** Starts the controller; resolves once the first revision is loaded and watches are set. */
  async serve(options: { paths?: readonly string[]; resyncMs?: number; workers?: number } = {}): Promise<{ serve: Serve; metrics: Metrics }> {
    const [{ Serve: ServeClass }, { Metrics: MetricsClass }] = await Promise.all([import('./engine/controller/serve.js'), import('./telemetry/metrics.js')]);
    const engine = await this.engine();
    const metrics = new MetricsClass();
    const serve = new ServeClass({
      paths: this.manifestPaths(options.paths),
      store: await this.store(),
      registry: this.registry,
      settings: this.settings,
      logger: this.logger,
      secrets: this.secrets,
      metrics,
      load: (paths) => engine.loadDesired(paths),
      windows: this.windowGate(),
      workRoot: this.workRoot,
      resyncMs: options.resyncMs,
      workers: options.workers,
    });
    await serve.start();
    return { serve, metrics };
  }

  /** Change windows from setpoint.yaml, as the gate the reconciler asks. */
  windowGate(): WindowGate | undefined {
    const windows = this.settings.windows;
    if (windows.length === 0) return undefined;
    return { check: (resource, now) => evaluateWindows(windows, windowSubject(resource), now) };
  }

  /** Approvals in `state`; every approval when no state is given. */
  async approvals(state?: ApprovalState): Promise<ApprovalRecord[]> {
    return (await this.store()).listApprovals(state ? { state } : {});
  }

  /**
   * Approves a pending action, after checking it is still the plan it
   * showed: the resource is observed now and the action recomputed; if the
   * desired or actual state changed, the approval is stale and refused.
   */
  async approve(idOrPrefix: string, options: { paths?: readonly string[]; note?: string } = {}): Promise<ApprovalRecord> {
    const store = await this.store();
    const approval = await this.pendingApproval(idOrPrefix);
    const current = await this.currentAction(approval.resourceId, options.paths);
    const now = new Date().toISOString();
    if (!current || current.desiredDigest !== approval.desiredDigest || approvalDigest(current.action) !== approval.changeDigest) {
      await store.putApproval({ ...approval, state: 'stale', note: 'desired or actual state changed since it was proposed' });
      await store.appendAudit([{ time: now, actor: this.actor, action: 'approval.stale', resourceId: approval.resourceId, result: 'refused', detail: { approval: approval.id } }]);
      await store.appendNudge({ resourceId: approval.resourceId, reason: 'approval-stale', actor: this.actor, at: now });
      throw new SetpointError(
        `approval ${approval.id} is stale: the desired or actual state of ${approval.resourceId} changed since it was proposed`,
        'SETPOINT_APPROVAL_STALE',
        'serve proposes a fresh action; review it with `setpoint approvals` and approve that one',
      );
    }
    const approved: ApprovalRecord = { ...approval, state: 'approved', decidedBy: this.actor, decidedAt: now, note: options.note };
    await store.putApproval(approved);
    await store.appendAudit([{ time: now, actor: this.actor, action: 'approval.approve', resourceId: approval.resourceId, revisionId: approval.revisionId, diffDigest: approval.changeDigest, result: 'approved', detail: { approval: approval.id, op: approval.op, note: options.note } }]);
    await store.appendNudge({ resourceId: approval.resourceId, reason: 'approved', actor: this.actor, at: now });
    return approved;
  }

  async reject(idOrPrefix: string, note?: string): Promise<ApprovalRecord> {
    const store = await this.store();
    const approval = await this.pendingApproval(idOrPrefix);
    const now = new Date().toISOString();
    const rejected: ApprovalRecord = { ...approval, state: 'rejected', decidedBy: this.actor, decidedAt: now, note };
    await store.putApproval(rejected);
    await store.appendAudit([{ time: now, actor: this.actor, action: 'approval.reject', resourceId: approval.resourceId, revisionId: approval.revisionId, diffDigest: approval.changeDigest, result: 'rejected', detail: { approval: approval.id, note } }]);
    await store.appendNudge({ resourceId: approval.resourceId, reason: 'rejected', actor: this.actor, at: now });
    return rejected;
  }

  private async pendingApproval(idOrPrefix: string): Promise<ApprovalRecord> {
    const approval = await (await this.store()).getApproval(idOrPrefix);
    if (!approval) throw new SetpointError(`no approval ${idOrPrefix}`, 'SETPOINT_NOT_FOUND', '`setpoint approvals` lists the pending ones');
    if (approval.state !== 'pending')
      throw new SetpointError(`approval ${approval.id} is ${approval.state}, not pending`, 'SETPOINT_APPROVAL_NOT_PENDING', '`setpoint approvals` lists the pending ones');
    return approval;
  }

  /** The action the resource needs now (observed live), with its desired digest. */
  private async currentAction(id: ResourceId, paths?: readonly string[]): Promise<{ action: Action; desiredDigest: string } | undefined> {
    const engine = await this.engine();
    const desired = engine.loadDesired(this.manifestPaths(paths));
    if (desired.diagnostics.hasErrors) return undefined;
    let resource = desired.resources.find((r) => r.id === id);
    const record = await (await this.store()).getResource(id);
    const orphan = !resource;
    if (!resource && record) resource = resourceFromRecord(record);
    if (!resource) return undefined;
    const obs = await observeOne(resource, { registry: this.registry, secrets: this.secrets, sourceRootOf: (f) => desired.sourceRootOf(f), locator: desired.locator, onEvent: () => undefined, parallelism: 1, workRoot: this.workRoot }, orphan);
    if (obs.error) return undefined;
    const action = buildPlan([obs], '', { prune: orphan }).actions[0];
    return action && action.op !== 'noop' ? { action, desiredDigest: obs.desiredDigest } : undefined;
  }

  /** Lifts Conflict: clears the repair history, so serve remediates again. */
  async resume(rawId: string): Promise<ResourceRecord> {
    const store = await this.store();
    const id = this.normalizeId(rawId);
    const record = await store.getResource(id);
    if (!record) throw new SetpointError(`no resource ${id} in the state`, 'SETPOINT_NOT_FOUND', '`setpoint status` lists them');
    const now = new Date().toISOString();
    const next: ResourceRecord = { ...record, sync: record.sync === 'Conflict' ? 'Pending' : record.sync, remediations: [], updatedAt: now };
    await store.putResources([next]);
    await store.appendAudit([{ time: now, actor: this.actor, action: 'resource.resume', resourceId: id, result: 'resumed', detail: { was: record.sync } }]);
    await store.appendNudge({ resourceId: id, reason: 'resume', actor: this.actor, at: now });
    return next;
  }

  /** Asks a running serve to reload its sources and look at everything again. */
  async requestSync(): Promise<void> {
    await (await this.store()).appendNudge({ reason: 'sync', actor: this.actor, at: new Date().toISOString() });
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
