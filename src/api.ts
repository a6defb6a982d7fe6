/**
 * The programmatic API. The CLI and the HTTP server are thin shells over
 * this module, so every feature exists once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { userInfo } from 'node:os';
import {
  Engine,
  type ApplyHooks,
  type ApplyReport,
  type DriftReport,
  type Planned,
  type PlanRequest,
} from './engine/index.js';
import { acquireStateLock, type HeldLock } from './engine/lock.js';
import { observeOne } from './engine/observe.js';
import { declaredRecord } from './engine/records.js';
import type { Change } from './diff/index.js';
import { toJSONSchema } from 'zod';
import {
  Diagnostics,
  documentSchema,
  FileCompiledCache,
  type CompiledCache,
  NAME_PATTERN,
  normalizeId,
  type Diagnostic,
  type ResourceId,
} from './manifest/index.js';
import { defaultRegistry } from './providers/index.js';
import type { ProviderRegistry } from './provider/registry.js';
import { loadPlugins, type PluginError } from './provider/plugins.js';
import { loadSettings, stateDir, type Settings } from './project/index.js';
import { join, resolve } from 'node:path';
import { codeIdentity, VERSION } from './version.js';
import { redactor, SecretResolver } from './secrets/index.js';
import { openStore } from './store/open.js';
import {
  AuditExportWriter,
  ChainVerifier,
  verifyAuditExport,
  type AuditEntry,
  type AuditQuery,
  type AuditVerification,
  type ExportVerification,
} from './store/index.js';
import type {
  SourceState,
  ApprovalRecord,
  ApprovalState,
  EventRecord,
  ResourceFilter,
  ResourceRecord,
  RevisionRecord,
  RunRecord,
  Store,
  TokenRecord,
} from './store/index.js';
import { generateToken, hashToken, isRole, ROLES, type Role } from './auth/index.js';
import type { Serve } from './engine/controller/serve.js';
import type { WindowGate } from './engine/controller/reconciler.js';
import { activeWindows, evaluateWindows, windowSubject } from './engine/windows/index.js';
import { approvalDigest, changeDigest } from './engine/recorder.js';
import { buildPlan } from './engine/planner.js';
import type { Action } from './plan/index.js';
import type { Metrics } from './telemetry/metrics.js';
import type { ServeRunnable } from './engine/controller/serve.js';
import type { AlertEvaluator, AlertSubject } from './telemetry/alerts/index.js';
import { formatMatcher } from './telemetry/alerts/labels.js';
import {
  newSilence,
  silenceState,
  type SilenceInput,
  type SilenceState,
} from './telemetry/alerts/silences.js';
import { sloStatuses, type SloStatus } from './telemetry/slo/status.js';
import type { Tracing } from './telemetry/tracing.js';
import { attachConsole, type ConsoleOptions } from './telemetry/log.js';
import type { AlertAck, AlertRecord, SilenceRecord } from './store/alerts.js';
import { createLogger, flushLogger, silentLogger, type Logger } from './telemetry/index.js';
import { withoutIgnored } from './diff/index.js';
import { validateManifests, type ValidateResult } from './engine/validate.js';
import { recordViolations } from './engine/violations.js';
import { testPolicies, type PolicyTestReport } from './engine/policy-test.js';
import { loadDesired } from './engine/desired.js';
import {
  POLICY_DESCRIPTION,
  POLICY_KIND,
  PolicyFixtureError,
  PolicySpecSchema,
  withPolicyKind,
  type PolicyAction,
  type PolicyMatch,
} from './policy/index.js';
import type { ViolationRecord, ViolationTotal } from './store/index.js';
import { SourceSet, type Admission } from './source/sources.js';
import type { DesiredState } from './engine/desired.js';
import { resourceFromRecord } from './engine/engine.js';
import {
  renderPaths,
  resolveRenderInputs,
  type RenderedDocument,
  type RenderInputs,
} from './render/index.js';

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
  /** The environment whose overlays and variables apply (`--env`). Defaults to SETPOINT_ENV, else none. */
  environment?: string;
  /** Variables from the command line (`--var name=value`); they win over every other definition. Defaults to none. */
  variables?: Record<string, string>;
}

/** Who acts, for the audit log (e.g. an API token's name). Defaults to the API's actor (`--actor`, else the OS user). */
/** Which alert incidents to list: firing now, or (all) every one since `since`; the newest `limit` (100). */
export interface AlertListOptions {
  all?: boolean;
  since?: string;
  limit?: number;
}

export interface ActorOption {
  actor?: string;
}

export { SetpointError } from './errors.js';
import { SetpointError } from './errors.js';

/** `setpoint policies`: what is declared and what it found. */
export interface PolicyListing {
  policies: Array<{
    name: string;
    id: ResourceId;
    action: PolicyAction;
    description?: string;
    match?: PolicyMatch;
    rule: string;
    /** The rule reads `actual`: judged against observed state under serve. */
    runtime: boolean;
    origin: string;
    /** Violations recorded, all time. */
    violations: number;
    lastViolation?: string;
  }>;
  /** Recorded violations by policy and action (including policies no longer declared). */
  totals: ViolationTotal[];
  /** The most recent violations, newest first. */
  violations: ViolationRecord[];
  /** Problems with the policies as declared. */
  diagnostics: Diagnostic[];
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
    const { settings, diagnostics } = loadSettings(
      options.project ?? options.cwd ?? process.cwd(),
      options.project !== undefined,
    );
    if (diagnostics.hasErrors)
      throw new SetpointError(
        `invalid settings in ${settings.file}`,
        'SETPOINT_SETTINGS_INVALID',
        'fix setpoint.yaml',
        diagnostics.items,
      );
    const rendering = resolveRenderInputs(
      settings,
      { environment: options.environment, variables: options.variables, env: process.env },
      diagnostics,
    );
    if (diagnostics.hasErrors)
      throw new SetpointError(
        'invalid environment or variables',
        'SETPOINT_RENDER_INVALID',
        undefined,
        diagnostics.items,
      );
    const state = options.state
      ? options.state.includes('://')
        ? options.state
        : resolve(options.state)
      : settings.state;
    const workDir = stateDir(settings, state);
    const logFile =
      options.logFile === false
        ? undefined
        : (options.logFile ?? settings.log.file ?? join(workDir, 'setpoint.log'));
    const logger =
      options.logger ??
      (options.logFile === false
        ? silentLogger()
        : createLogger({ file: logFile, level: options.logLevel ?? settings.log.level }));
    const registry = options.registry ?? defaultRegistry();
    if (settings.plugins.length > 0) {
      try {
        await loadPlugins(settings.plugins, settings.root, registry);
      } catch (err) {
        const e = err as PluginError;
        throw new SetpointError(e.message, e.code ?? 'SETPOINT_PLUGIN_INVALID', e.hint);
      }
    }
    // The variables shape documents: they are part of the cache key (overlays bypass the cache).
    const variables = JSON.stringify([...rendering.variables].map(([k, v]) => [k, v.value]));
    const cache = new FileCompiledCache(
      join(workDir, 'cache', 'manifests'),
      `${codeIdentity()}|${registry.fingerprint()}|${settings.namespace}|${variables}`,
    );
    const api = new Setpoint(settings, registry, logger, options.actor ?? currentUser(), state, cache);
    api.rendering = rendering;
    return api;
  }

  private rendering!: RenderInputs;

  /**
   * What a loader needs to render manifests between parsing and validation
   * (`renderProject(docs, api.renderOptions(), diags, locator)`): the selected
   * environment, the resolved variables and the overlay paths.
   */
  renderOptions(): RenderInputs {
    return this.rendering;
  }

  /** The final documents after variables and overlays, before kinds are validated (`setpoint render`). */
  async render(
    options: { paths?: readonly string[] } = {},
  ): Promise<{ environment?: string; documents: RenderedDocument[]; diagnostics: Diagnostic[] }> {
    const diags = new Diagnostics();
    const documents = renderPaths(this.manifestPaths(options.paths), this.rendering, diags);
    return { environment: this.rendering.environment, documents, diagnostics: diags.items };
  }

  /** The store, opened on first use. */
  private storeNow: Store | undefined;

  store(): Promise<Store> {
    this.storePromise ??= openStore(this.stateLocation).then(async (store) => {
      this.storeNow = store;
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
      render: this.rendering,
      workRoot: this.workRoot,
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

  async validate(paths?: readonly string[]): Promise<ValidateResult> {
    return validateManifests({
      paths: this.manifestPaths(paths),
      registry: this.registry,
      projectRoot: this.settings.root,
      defaultNamespace: this.settings.namespace,
      render: this.rendering,
      parallelism: this.settings.parallelism,
    });
  }

  async plan(request: Omit<PlanRequest, 'paths'> & { paths?: readonly string[] }): Promise<Planned> {
    return (await this.engine()).plan({
      ...request,
      paths: this.manifestPaths(request.paths),
      ...(await this.sourcesDesired(request.paths)),
    });
  }

  /**
   * Without -f and with `sources:` configured, the desired state is each
   * source's current revision (pinned, or latest admitted), combined.
   */
  private async sourcesDesired(
    paths?: readonly string[],
  ): Promise<{ desired?: DesiredState; revision?: RevisionRecord }> {
    if ((paths && paths.length > 0) || this.settings.sources.length === 0) return {};
    try {
      const { desired, admissions } = await (await this.sources()).currentDesired();
      // One source: the run is of its admitted revision (so history shows when that commit converged).
      return {
        desired,
        revision:
          admissions.length === 1 && admissions[0].revision.admitted ? admissions[0].revision : undefined,
      };
    } catch (err) {
      if (SourceSet.isSourceError(err))
        throw new SetpointError(
          err.message,
          err.code,
          err.hint,
          (err as { diagnostics?: Diagnostic[] }).diagnostics ?? [],
        );
      throw err;
    }
  }

  private sourceSet: SourceSet | undefined;

  /** The project's sources (folders and Git repositories). */
  async sources(): Promise<SourceSet> {
    if (!this.sourceSet) {
      const engine = await this.engine();
      this.sourceSet = new SourceSet({
        settings: this.settings,
        store: await this.store(),
        registry: this.registry,
        secrets: this.secrets,
        workDir: join(stateDir(this.settings, this.stateLocation), 'sources'),
        load: (paths, source) => engine.loadDesired(paths, source),
        actor: this.actor,
      });
    }
    return this.sourceSet;
  }

  /** A source set of one folder source "local" over `-f` paths. */
  private sourceSetFor(paths: readonly string[], engine: Engine): SourceSet {
    return new SourceSet({
      settings: this.settings,
      store: this.storeNow!,
      registry: this.registry,
      secrets: this.secrets,
      workDir: join(stateDir(this.settings, this.stateLocation), 'sources'),
      load: (p, source) => engine.loadDesired(p, source),
      actor: this.actor,
      paths,
    });
  }

  /** Fetches and admits now: one source, or all; a running serve is nudged to follow. */
  async sync(
    source?: string,
    options: ActorOption & { /** Why, for the audit log. */ detail?: Record<string, unknown> } = {},
  ): Promise<Admission[]> {
    const set = await this.sources();
    const names = source ? [set.get(source).name] : set.defs().map((d) => d.name);
    const out: Admission[] = [];
    try {
      for (const name of names) out.push(await set.sync(name));
    } catch (err) {
      if (SourceSet.isSourceError(err)) throw new SetpointError(err.message, err.code, err.hint);
      throw err;
    }
    await this.requestSync(options);
    return out;
  }

  /** Pins a source to a revision while reconciliation stays on. */
  async rollback(revision: string, source?: string, options: ActorOption = {}): Promise<RevisionRecord> {
    const set = await this.sources();
    const name = source ?? this.onlyGitSource(set);
    try {
      return await set.pin(name, revision, options.actor);
    } catch (err) {
      if (SourceSet.isSourceError(err)) throw new SetpointError(err.message, err.code, err.hint);
      throw err;
    }
  }

  async unpin(source?: string, options: ActorOption = {}): Promise<SourceState> {
    const set = await this.sources();
    try {
      return await set.unpin(source ?? this.onlyGitSource(set), options.actor);
    } catch (err) {
      if (SourceSet.isSourceError(err)) throw new SetpointError(err.message, err.code, err.hint);
      throw err;
    }
  }

  private onlyGitSource(set: SourceSet): string {
    const git = set.defs().filter((d) => d.git);
    if (git.length === 1) return git[0].name;
    throw new SetpointError(
      git.length === 0 ? 'no Git source is configured' : `${git.length} Git sources: say which`,
      'SETPOINT_UNKNOWN_SOURCE',
      git.length === 0
        ? 'add one under sources: in setpoint.yaml'
        : `--source ${git.map((d) => d.name).join(' | ')}`,
    );
  }

  /** Each source with its state: current and pinned revision, last fetch. */
  async sourcesStatus(): Promise<
    Array<SourceState & { kind: 'folder' | 'git'; url?: string; ref?: string }>
  > {
    const set = await this.sources();
    const store = await this.store();
    const out = [];
    for (const d of set.defs())
      out.push({
        ...((await store.getSource(d.name)) ?? { name: d.name }),
        kind: d.git ? ('git' as const) : ('folder' as const),
        url: d.git?.url,
        ref: d.git?.ref,
      });
    return out;
  }

  /** Holds the state lock for a mutating run. */
  async lock(timeoutMs = 0, what = 'apply'): Promise<HeldLock> {
    return acquireStateLock(await this.store(), { timeoutMs, what, actor: this.actor });
  }

  async apply(
    planned: Planned,
    options: { parallelism?: number; signal?: AbortSignal; overrideWindow?: boolean } & ApplyHooks = {},
  ): Promise<ApplyReport> {
    await this.admitPlan(planned);
    await this.recordPlanViolations(planned, false);
    return (await this.engine()).apply(planned, { ...options, windows: this.windowGate() });
  }

  /** Records the policy verdicts on a plan's desired state, once: when it is applied, or refused (each blocking deny is audited). */
  private async recordPlanViolations(planned: Planned, refused: boolean): Promise<void> {
    const store = await this.store();
    const audit = async (entry: Omit<AuditEntry, 'time' | 'actor' | 'seq' | 'prevHash' | 'hash'>) => {
      await store.appendAudit([{ time: new Date().toISOString(), actor: this.actor, ...entry }]);
    };
    await recordViolations(
      planned.desired.violations,
      { revisionId: planned.revision.id, blocked: refused },
      { store, audit },
    );
  }

  /**
   * Refuses a plan that cannot be applied — it has errors (preventDestroy, a
   * missing secret, a bad manifest), or deletes more than
   * reconcile.maxDeletesPerRun — with a SetpointError and an `apply.refuse`
   * audit entry. `apply` calls it; the CLI also calls it before asking for
   * confirmation.
   */
  async admitPlan(planned: Planned): Promise<void> {
    const { plan } = planned;
    const errors = plan.diagnostics.filter((d) => d.severity === 'error');
    const max = this.settings.reconcile.maxDeletesPerRun;
    let refusal: SetpointError | undefined;
    if (errors.length > 0)
      refusal = new SetpointError(
        'the plan has errors; nothing was applied',
        'SETPOINT_PLAN_INVALID',
        undefined,
        plan.diagnostics,
      );
    else if (max !== undefined && plan.summary.delete > max)
      refusal = new SetpointError(
        `the plan deletes ${plan.summary.delete} resources, more than reconcile.maxDeletesPerRun (${max}); nothing was applied`,
        'SETPOINT_BLAST_RADIUS',
        'check the plan; raise maxDeletesPerRun in setpoint.yaml, or apply with --target in smaller steps',
      );
    if (!refusal) return;
    await this.recordPlanViolations(planned, true);
    const resources = [
      ...new Set(errors.map((d) => d.resourceId).filter((id): id is string => id !== undefined)),
    ];
    await (
      await this.store()
    ).appendAudit([
      {
        time: new Date().toISOString(),
        actor: this.actor,
        action: 'apply.refuse',
        resourceId: resources.length === 1 ? resources[0] : undefined,
        revisionId: planned.revision.id,
        diffDigest: planDigest(plan.actions),
        result: 'refused',
        detail: redactor.redactValue({
          code: refusal.code,
          message: refusal.message,
          problems: errors.map((d) => d.summary).slice(0, 10),
          resources: resources.slice(0, 20),
        }),
      },
    ]);
    throw refusal;
  }

  async drift(request: Omit<PlanRequest, 'paths'> & { paths?: readonly string[] }): Promise<DriftReport> {
    return (await this.engine()).drift({
      ...request,
      paths: this.manifestPaths(request.paths),
      ...(await this.sourcesDesired(request.paths)),
    });
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
    const revisions = (await store.listRevisions({ limit: options.revisions ?? 10 })).filter(
      (r) => r.admitted,
    );
    const episodes = await store.listEpisodes({ since: options.since, limit: 10_000 });
    const summaries = await store.listResourceSummaries(this.defaultSource);
    const closed = episodes.filter((e) => e.remediatedAt);
    const remediation = closed
      .filter((e) => e.resolution === 'auto' || e.resolution === 'approved')
      .map((e) => Date.parse(e.remediatedAt!) - Date.parse(e.recordedAt));
    const detection = episodes.map((e) => Date.parse(e.recordedAt) - Date.parse(e.detectedAt));
    const drifted = summaries.filter((r) => r.sync === 'Drifted' || r.sync === 'Conflict').length;
    return {
      revisions: revisions.map((r) => ({
        id: r.id,
        admittedAt: r.createdAt,
        convergedAt: r.convergedAt,
        convergenceSeconds: r.convergedAt
          ? (Date.parse(r.convergedAt) - Date.parse(r.createdAt)) / 1000
          : undefined,
      })),
      driftEpisodes: episodes.length,
      detectionMs: percentiles(detection),
      remediationMs: percentiles(remediation),
      autoRemediationRatio: episodes.length
        ? episodes.filter((e) => e.resolution === 'auto').length / episodes.length
        : undefined,
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
  async describe(
    rawId: string,
    paths?: readonly string[],
    options: {
      /** An already loaded desired state (a running serve's), instead of reading the manifests. */ desired?: DesiredState;
    } = {},
  ): Promise<Description> {
    const id = this.normalizeId(rawId);
    const store = await this.store();
    const engine = await this.engine();
    const record = await store.getResource(id);
    const desired = options.desired ?? (await engine.loadDesired(this.manifestPaths(paths)));
    const diagnostics = new Diagnostics();
    let resource = desired.resources.find((r) => r.id === id);
    if (!resource && record) resource = resourceFromRecord(record);
    const events = await store.listEvents({ resourceId: id, limit: 20 });
    if (!resource)
      return { id, record, exists: false, changes: [], events, diagnostics: desired.diagnostics.items };
    const obs = await observeOne(resource, {
      registry: this.registry,
      secrets: this.secrets,
      sourceRootOf: (f) => desired.sourceRootOf(f),
      locator: desired.locator,
      onEvent: () => undefined,
      parallelism: 1,
    });
    if (obs.error) diagnostics.add(obs.error);
    const changes =
      obs.error || obs.absent
        ? []
        : withoutIgnored(obs.provider.diff(obs.desired, obs.actual), resource.lifecycle.ignoreChanges);
    const actual = obs.exists ? (obs.provider.display?.(obs.desired, obs.actual) ?? obs.actual) : undefined;
    return {
      id,
      record:
        record ??
        declaredRecord(resource, obs.desiredDigest, desired.source, undefined, new Date().toISOString()),
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

  /** The kinds manifests may declare, with one sentence each: every provider's, and Policy (validated, never managed). */
  kinds(): Array<{ kind: string; description: string }> {
    return withPolicyKind(this.registry)
      .kinds()
      .map((kind) => ({
        kind,
        description: kind === POLICY_KIND ? POLICY_DESCRIPTION : (this.registry.get(kind)?.description ?? ''),
      }));
  }

  /** The declared policies, with violation counts and the most recent violations from the state. */
  async policies(
    options: { paths?: readonly string[]; limit?: number; policy?: string } = {},
  ): Promise<PolicyListing> {
    const desired = await (await this.engine()).loadDesired(this.manifestPaths(options.paths));
    const store = await this.store();
    const totals = await store.violationTotals();
    const policies = desired.policies.policies.map((p) => ({
      name: p.name,
      id: p.id,
      action: p.action,
      description: p.description,
      match: p.match,
      rule: p.rule,
      runtime: p.runtime,
      origin: p.origin,
      violations: totals.filter((t) => t.policy === p.name).reduce((n, t) => n + t.count, 0),
      lastViolation: totals
        .filter((t) => t.policy === p.name)
        .reduce<string | undefined>((m, t) => (m && m > t.last ? m : t.last), undefined),
    }));
    const violations = await store.listViolations({ policy: options.policy, limit: options.limit ?? 20 });
    return {
      policies,
      totals,
      violations,
      diagnostics: desired.diagnostics.items.filter((d) => d.resourceId?.startsWith(`${POLICY_KIND}/`)),
    };
  }

  /** Runs the policy tests (`*.test.yaml` fixtures) under `paths` (default: the manifest folders). */
  testPolicies(paths?: readonly string[]): PolicyTestReport {
    try {
      return testPolicies({
        paths: this.manifestPaths(paths),
        catalog: this.registry,
        load: (p) =>
          loadDesired({
            paths: p,
            catalog: this.registry,
            projectRoot: this.settings.root,
            defaultNamespace: this.settings.namespace,
          }),
      });
    } catch (err) {
      if (err instanceof PolicyFixtureError) throw new SetpointError(err.message, err.code, err.hint);
      throw err;
    }
  }

  /** JSON Schema of one kind's documents, or of all. */
  schema(kind?: string): Record<string, unknown> {
    const known = this.kinds().map((k) => k.kind);
    const kinds = kind ? [kind] : known;
    const out: Record<string, unknown> = {};
    for (const k of kinds) {
      const provider =
        k === POLICY_KIND
          ? { description: POLICY_DESCRIPTION, schema: PolicySpecSchema }
          : this.registry.get(k);
      if (!provider)
        throw new SetpointError(`unknown kind "${k}"`, 'SETPOINT_UNKNOWN_KIND', `kinds: ${known.join(', ')}`);
      out[k] = {
        description: provider.description,
        ...toJSONSchema(documentSchema(k, provider.schema), { io: 'input', unrepresentable: 'any' }),
      };
    }
    return out;
  }

  /** Where providers keep working files (pid files, logs): beside the state. */
  get workRoot(): string {
    return join(stateDir(this.settings, this.stateLocation), 'work');
  }

  /** Starts the controller; resolves once the first revision is loaded and watches are set. */
  async serve(
    options: {
      paths?: readonly string[];
      resyncMs?: number;
      workers?: number;
      /** false: made, not started (the caller starts it after its own runnables). Defaults to true. */ start?: boolean;
      /** Mirror the log to a terminal too (serve's `--log-format`). Defaults to the log file only. */
      console?: ConsoleOptions;
    } = {},
  ): Promise<{ serve: Serve; metrics: Metrics; alerts: AlertEvaluator }> {
    const [
      { Serve: ServeClass },
      { Metrics: MetricsClass },
      { AlertEvaluator: EvaluatorClass },
      { startTracing },
    ] = await Promise.all([
      import('./engine/controller/serve.js'),
      import('./telemetry/metrics.js'),
      import('./telemetry/alerts/evaluator.js'),
      import('./telemetry/tracing.js'),
    ]);
    const engine = await this.engine();
    const metrics = new MetricsClass({ version: VERSION });
    if (options.console) attachConsole(this.logger, options.console);
    const alerts = new EvaluatorClass({
      store: await this.store(),
      settings: this.settings.alerts,
      slos: this.settings.slos,
      defaultRemediation: this.settings.defaults.remediation,
      logger: this.logger,
      metrics,
      windows: this.alertWindows(),
    });
    let tracing: Tracing | undefined;
    const runnables: ServeRunnable[] = [
      {
        name: 'tracing',
        phase: 'first',
        start: async () => {
          tracing = await startTracing(this.settings.tracing);
          if (tracing) this.logger.info({ endpoint: tracing.endpoint }, 'exporting spans (OTLP/HTTP)');
        },
        stop: () => tracing?.shutdown(),
      },
      { name: 'alerts', start: () => alerts.start(), stop: () => alerts.stop() },
    ];
    const serve = new ServeClass({
      runnables,
      sources:
        options.paths && options.paths.length > 0
          ? this.sourceSetFor(options.paths, engine)
          : await this.sources(),
      store: await this.store(),
      registry: this.registry,
      settings: this.settings,
      logger: this.logger,
      secrets: this.secrets,
      metrics,
      windows: this.windowGate(),
      workRoot: this.workRoot,
      resyncMs: options.resyncMs,
      workers: options.workers,
    });
    if (options.start !== false) await serve.start();
    return { serve, metrics, alerts };
  }

  /**
   * Why change windows hold back an alert's notifications now: a window that
   * blocks the alert's resource, or, for a project-wide alert, an open deny
   * window that matches everything.
   */
  alertWindows(): ((subject: AlertSubject | undefined, now: Date) => string | undefined) | undefined {
    const windows = this.settings.windows;
    if (windows.length === 0) return undefined;
    const global = windows.filter((w) => w.type === 'deny' && !w.match);
    return (subject, now) => {
      if (subject) {
        const v = evaluateWindows(windows, subject, now);
        return v.blocked ? `window ${v.window}` : undefined;
      }
      const open = activeWindows(global, now)[0];
      return open ? `window ${open.name}` : undefined;
    };
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
  async approve(
    idOrPrefix: string,
    options: { paths?: readonly string[]; note?: string } & ActorOption = {},
  ): Promise<ApprovalRecord> {
    const store = await this.store();
    const actor = options.actor ?? this.actor;
    const approval = await this.pendingApproval(idOrPrefix);
    const current = await this.currentAction(approval.resourceId, options.paths);
    const now = new Date().toISOString();
    if (
      !current ||
      current.desiredDigest !== approval.desiredDigest ||
      approvalDigest(current.action) !== approval.changeDigest
    ) {
      await store.putApproval({
        ...approval,
        state: 'stale',
        note: 'desired or actual state changed since it was proposed',
      });
      await store.appendAudit([
        {
          time: now,
          actor,
          action: 'approval.stale',
          resourceId: approval.resourceId,
          revisionId: approval.revisionId,
          diffDigest: approval.changeDigest,
          result: 'refused',
          detail: { approval: approval.id },
        },
      ]);
      await store.appendNudge({ resourceId: approval.resourceId, reason: 'approval-stale', actor, at: now });
      throw new SetpointError(
        `approval ${approval.id} is stale: the desired or actual state of ${approval.resourceId} changed since it was proposed`,
        'SETPOINT_APPROVAL_STALE',
        'serve proposes a fresh action; review it with `setpoint approvals` and approve that one',
      );
    }
    const approved: ApprovalRecord = {
      ...approval,
      state: 'approved',
      decidedBy: actor,
      decidedAt: now,
      note: options.note,
    };
    await store.putApproval(approved);
    await store.appendAudit([
      {
        time: now,
        actor,
        action: 'approval.approve',
        resourceId: approval.resourceId,
        revisionId: approval.revisionId,
        diffDigest: approval.changeDigest,
        result: 'approved',
        detail: { approval: approval.id, op: approval.op, note: options.note },
      },
    ]);
    await store.appendNudge({ resourceId: approval.resourceId, reason: 'approved', actor, at: now });
    return approved;
  }

  async reject(idOrPrefix: string, note?: string, options: ActorOption = {}): Promise<ApprovalRecord> {
    const store = await this.store();
    const actor = options.actor ?? this.actor;
    const approval = await this.pendingApproval(idOrPrefix);
    const now = new Date().toISOString();
    const rejected: ApprovalRecord = {
      ...approval,
      state: 'rejected',
      decidedBy: actor,
      decidedAt: now,
      note,
    };
    await store.putApproval(rejected);
    await store.appendAudit([
      {
        time: now,
        actor,
        action: 'approval.reject',
        resourceId: approval.resourceId,
        revisionId: approval.revisionId,
        diffDigest: approval.changeDigest,
        result: 'rejected',
        detail: { approval: approval.id, note },
      },
    ]);
    await store.appendNudge({ resourceId: approval.resourceId, reason: 'rejected', actor, at: now });
    return rejected;
  }

  private async pendingApproval(idOrPrefix: string): Promise<ApprovalRecord> {
    const approval = await (await this.store()).getApproval(idOrPrefix);
    if (!approval)
      throw new SetpointError(
        `no approval ${idOrPrefix}`,
        'SETPOINT_NOT_FOUND',
        '`setpoint approvals` lists the pending ones',
      );
    if (approval.state !== 'pending')
      throw new SetpointError(
        `approval ${approval.id} is ${approval.state}, not pending`,
        'SETPOINT_APPROVAL_NOT_PENDING',
        '`setpoint approvals` lists the pending ones',
      );
    return approval;
  }

  /** The action the resource needs now (observed live), with its desired digest. */
  private async currentAction(
    id: ResourceId,
    paths?: readonly string[],
  ): Promise<{ action: Action; desiredDigest: string } | undefined> {
    const engine = await this.engine();
    const desired = await engine.loadDesired(this.manifestPaths(paths));
    if (desired.diagnostics.hasErrors) return undefined;
    let resource = desired.resources.find((r) => r.id === id);
    const record = await (await this.store()).getResource(id);
    const orphan = !resource;
    if (!resource && record) resource = resourceFromRecord(record);
    if (!resource) return undefined;
    const obs = await observeOne(
      resource,
      {
        registry: this.registry,
        secrets: this.secrets,
        sourceRootOf: (f) => desired.sourceRootOf(f),
        locator: desired.locator,
        onEvent: () => undefined,
        parallelism: 1,
        workRoot: this.workRoot,
      },
      orphan,
    );
    if (obs.error) return undefined;
    const action = buildPlan([obs], '', { prune: orphan }).actions[0];
    return action && action.op !== 'noop' ? { action, desiredDigest: obs.desiredDigest } : undefined;
  }

  /** Lifts Conflict: clears the repair history, so serve remediates again. */
  async resume(rawId: string, options: ActorOption = {}): Promise<ResourceRecord> {
    const store = await this.store();
    const actor = options.actor ?? this.actor;
    const id = this.normalizeId(rawId);
    const record = await store.getResource(id);
    if (!record)
      throw new SetpointError(
        `no resource ${id} in the state`,
        'SETPOINT_NOT_FOUND',
        '`setpoint status` lists them',
      );
    const now = new Date().toISOString();
    const next: ResourceRecord = {
      ...record,
      sync: record.sync === 'Conflict' ? 'Pending' : record.sync,
      remediations: [],
      updatedAt: now,
    };
    await store.putResources([next]);
    await store.appendAudit([
      {
        time: now,
        actor,
        action: 'resource.resume',
        resourceId: id,
        result: 'resumed',
        detail: { was: record.sync },
      },
    ]);
    await store.appendNudge({ resourceId: id, reason: 'resume', actor, at: now });
    return next;
  }

  /** Asks a running serve to reload its sources and look at everything again. */
  async requestSync(
    options: ActorOption & {
      /** Why, for the audit log (e.g. the pushed commit of a webhook). */ detail?: Record<string, unknown>;
    } = {},
  ): Promise<void> {
    const store = await this.store();
    const actor = options.actor ?? this.actor;
    const at = new Date().toISOString();
    await store.appendNudge({ reason: 'sync', actor, at });
    await store.appendAudit([
      { time: at, actor, action: 'sync.request', result: 'requested', detail: options.detail },
    ]);
  }

  /** Creates an API token. The token is returned this once; the store keeps only its sha256. */
  async createToken(
    input: { name: string; role: Role; namespaces?: readonly string[] },
    options: ActorOption = {},
  ): Promise<{ token: string; info: TokenInfo }> {
    for (const [what, v] of [
      ['name', input.name],
      ...(input.namespaces ?? []).map((n) => ['namespace', n]),
    ] as const)
      if (!NAME_PATTERN.test(v))
        throw new SetpointError(
          `invalid token ${what} "${v}"`,
          'SETPOINT_INVALID_ARGUMENT',
          'use lower-case letters, digits, "-" and "."',
        );
    if (!isRole(input.role))
      throw new SetpointError(
        `unknown role "${String(input.role)}"`,
        'SETPOINT_INVALID_ARGUMENT',
        `roles: ${ROLES.join(', ')}`,
      );
    const actor = options.actor ?? this.actor;
    const token = generateToken();
    const record: TokenRecord = {
      name: input.name,
      role: input.role,
      namespaces: [...new Set(input.namespaces ?? [])].sort(),
      hash: hashToken(token),
      createdAt: new Date().toISOString(),
      createdBy: actor,
    };
    const store = await this.store();
    if (!(await store.createToken(record)))
      throw new SetpointError(
        `a token named ${input.name} exists`,
        'SETPOINT_CONFLICT',
        `revoke it first (\`setpoint token revoke ${input.name}\`) or pick another name`,
      );
    await store.appendAudit([
      {
        time: record.createdAt,
        actor,
        action: 'token.create',
        result: 'created',
        detail: { name: record.name, role: record.role, namespaces: record.namespaces },
      },
    ]);
    return { token, info: tokenInfo(record) };
  }

  /** API tokens, revoked ones too; never their hashes. */
  async listTokens(): Promise<TokenInfo[]> {
    return (await (await this.store()).listTokens()).map(tokenInfo);
  }

  /** Tokens that authenticate, with their hashes: for the server's authenticator. */
  async activeTokens(): Promise<TokenRecord[]> {
    return (await (await this.store()).listTokens()).filter((t) => !t.revokedAt);
  }

  async revokeToken(name: string, options: ActorOption = {}): Promise<void> {
    const actor = options.actor ?? this.actor;
    const now = new Date().toISOString();
    const store = await this.store();
    if (!(await store.revokeToken(name, now, actor)))
      throw new SetpointError(
        `no active token named ${name}`,
        'SETPOINT_NOT_FOUND',
        '`setpoint token list` lists them',
      );
    await store.appendAudit([
      { time: now, actor, action: 'token.revoke', result: 'revoked', detail: { name } },
    ]);
  }

  /**
   * Audit entries matching the query, oldest first: the newest `limit`
   * (default 100). `resourceId` may omit the default namespace.
   */
  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const resourceId = query.resourceId ? this.normalizeId(query.resourceId) : undefined;
    return (await this.store()).listAudit({ ...query, resourceId, limit: query.limit ?? 100 });
  }

  /**
   * Recomputes the audit chain. On failure `entry` is what stands now at the
   * first bad position (absent when that entry was removed).
   */
  async verifyAudit(): Promise<AuditVerification & { entry?: AuditEntry }> {
    const store = await this.store();
    const v = await store.verifyAudit();
    if (v.ok || !v.firstBad) return v;
    const [at] = await store.listAudit({ afterSeq: v.firstBad.seq - 1, limit: 1 });
    return at?.seq === v.firstBad.seq ? { ...v, entry: at } : v;
  }

  /**
   * The audit trail as an export file, line by line (format in
   * store/audit-export.ts; `verifyAuditFile` checks it). Refused when the
   * chain does not verify: an export is a verified copy.
   */
  async *exportAudit(): AsyncGenerator<string> {
    const store = await this.store();
    const v = await store.verifyAudit();
    if (!v.ok || v.head === undefined)
      throw new SetpointError(
        `the audit trail fails verification at entry ${v.firstBad?.seq}: ${v.firstBad?.problem}; nothing was exported`,
        'SETPOINT_AUDIT_BROKEN',
        'run `setpoint audit verify` to see the entry; keep a copy of the state file as evidence',
      );
    const writer = new AuditExportWriter();
    const chain = new ChainVerifier();
    let seq = 0;
    while (seq < v.entries) {
      const page = await store.listAudit({ afterSeq: seq, limit: Math.min(1000, v.entries - seq) });
      if (page.length === 0) break;
      for (const e of page) {
        const bad = chain.push(e);
        if (bad)
          throw new SetpointError(
            `audit entry ${bad.seq} ${bad.problem} while it was exported`,
            'SETPOINT_AUDIT_BROKEN',
            'run `setpoint audit verify`',
          );
        seq = e.seq;
        yield writer.entry(e);
      }
    }
    const ends = chain.finish({ seq: v.entries, hash: v.head });
    if (!ends.ok)
      throw new SetpointError(
        `audit entry ${ends.firstBad?.seq} ${ends.firstBad?.problem} while it was exported`,
        'SETPOINT_AUDIT_BROKEN',
        'run `setpoint audit verify`',
      );
    yield writer.head({ seq: v.entries, hash: v.head });
  }

  /** Yields at once, then whenever another process committed to the store (checked every `intervalMs`), until `signal` aborts. */
  async *changes(signal: AbortSignal, intervalMs = 250): AsyncGenerator<void> {
    const store = await this.store();
    let seen: number | undefined;
    while (!signal.aborted) {
      const now = await store.changeCounter();
      if (now !== seen) {
        seen = now;
        yield;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /** Alert incidents, newest first: those firing now, or (all) every one since `since`. */
  async alerts(options: AlertListOptions = {}): Promise<AlertRecord[]> {
    return (await this.store()).listAlerts({
      // Asking from a time on means the resolved ones of that period too.
      states: options.all || options.since !== undefined ? undefined : ['firing'],
      since: options.since,
      limit: options.limit ?? 100,
    });
  }

  /** Records whether an alert was worth someone's attention (M9: alert noise). */
  async ackAlert(
    idOrPrefix: string,
    input: { actionable: boolean; comment?: string } & ActorOption,
  ): Promise<AlertRecord> {
    const store = await this.store();
    const alert = await store.getAlert(idOrPrefix);
    if (!alert)
      throw new SetpointError(
        `no alert ${idOrPrefix}`,
        'SETPOINT_NOT_FOUND',
        '`setpoint alerts --all` lists them',
      );
    const ack: AlertAck = {
      by: input.actor ?? this.actor,
      at: new Date().toISOString(),
      actionable: input.actionable,
      comment: input.comment,
    };
    await store.ackAlert(alert.id, ack);
    await store.appendAudit([
      {
        time: ack.at,
        actor: ack.by,
        action: 'alert.ack',
        resourceId: alert.labels.resource,
        result: input.actionable ? 'actionable' : 'noise',
        detail: { alert: alert.id, rule: alert.rule, comment: input.comment },
      },
    ]);
    return { ...alert, ack };
  }

  /** Silences, newest first, with their state now; only those active or pending unless `all`. */
  async silences(options: { all?: boolean } = {}): Promise<Array<SilenceRecord & { state: SilenceState }>> {
    const now = new Date();
    const list = (await (await this.store()).listSilences()).map((s) => ({
      ...s,
      state: silenceState(s, now),
    }));
    return options.all ? list : list.filter((s) => s.state !== 'expired');
  }

  /** Holds back notifications of matching alerts for a while (maintenance). */
  async createSilence(input: SilenceInput & ActorOption): Promise<SilenceRecord> {
    let silence: SilenceRecord;
    try {
      silence = newSilence({ ...input, createdBy: input.actor ?? this.actor });
    } catch (err) {
      throw new SetpointError(
        (err as Error).message,
        'SETPOINT_INVALID_ARGUMENT',
        'e.g. setpoint silence create --matcher owner=team-web --duration 2h --comment "disk swap"',
      );
    }
    const store = await this.store();
    await store.putSilence(silence);
    await store.appendAudit([
      {
        time: silence.createdAt,
        actor: silence.createdBy,
        action: 'silence.create',
        result: 'created',
        detail: {
          silence: silence.id,
          matchers: silence.matchers.map(formatMatcher),
          endsAt: silence.endsAt,
          comment: silence.comment,
        },
      },
    ]);
    return silence;
  }

  /** Ends a silence now. */
  async expireSilence(idOrPrefix: string, options: ActorOption = {}): Promise<SilenceRecord> {
    const store = await this.store();
    const silence = await store.getSilence(idOrPrefix);
    if (!silence)
      throw new SetpointError(
        `no silence ${idOrPrefix}`,
        'SETPOINT_NOT_FOUND',
        '`setpoint silence list` lists them',
      );
    const now = new Date().toISOString();
    if (silence.endsAt <= now)
      throw new SetpointError(
        `silence ${silence.id} already ended at ${silence.endsAt}`,
        'SETPOINT_CONFLICT',
        '`setpoint silence list` lists those in force',
      );
    const actor = options.actor ?? this.actor;
    const expired: SilenceRecord = {
      ...silence,
      endsAt: now,
      startsAt: silence.startsAt > now ? now : silence.startsAt,
      expiredBy: actor,
    };
    await store.putSilence(expired);
    await store.appendAudit([
      { time: now, actor, action: 'silence.expire', result: 'expired', detail: { silence: silence.id } },
    ]);
    return expired;
  }

  /** Each SLO of setpoint.yaml: error budget over its window and burn rates now. */
  async slos(): Promise<SloStatus[]> {
    return sloStatuses(await this.store(), this.settings.slos, Date.now());
  }

  async close(): Promise<void> {
    flushLogger(this.logger);
    if (this.storePromise) await (await this.storePromise).close();
  }
}

/** A token as shown to people: everything but the hash. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

function tokenInfo(t: TokenRecord): TokenInfo {
  const { hash: _hash, ...info } = t;
  return info;
}

/**
 * Verifies an audit export file (from `exportAudit`) on any machine: no
 * project, no state. `expectHead`: a head hash (or its first 8+ characters)
 * kept elsewhere that the file must end at.
 */
export async function verifyAuditFile(
  path: string,
  options: { expectHead?: string } = {},
): Promise<ExportVerification> {
  try {
    return await verifyAuditExport(
      createReadStream(path, { encoding: 'utf8' }) as AsyncIterable<string>,
      options,
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    throw new SetpointError(
      `cannot read ${path}: ${code}`,
      'SETPOINT_AUDIT_FILE',
      'give the path of a file made by `setpoint audit export`',
    );
  }
}

/** Digest of what a plan would change: each action's id, operation and change digest. */
function planDigest(actions: readonly Action[]): string {
  const h = createHash('sha256');
  for (const a of actions) if (a.op !== 'noop') h.update(`${a.id}\n${a.op}\n${changeDigest(a.changes)}\n`);
  return h.digest('hex');
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
