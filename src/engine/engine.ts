/**
 * One-shot runs of the loop: plan (observe + compare), apply (act + report)
 * and drift (observe + compare + report, no action).
 */
import { randomUUID } from 'node:crypto';
import {
  declaredDigest,
  dependencyClosure,
  Diagnostics,
  type CompiledCache,
  normalizeId,
  type Diagnostic,
  type Resource,
  type ResourceId,
} from '../manifest/index.js';
import { hasChanges, type Action, type Plan } from '../plan/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import type { Settings } from '../project/index.js';
import { withoutIgnored, type Change } from '../diff/index.js';
import type { SecretResolver } from '../secrets/index.js';
import {
  statusSignature,
  type ActionIntent,
  type RunRecord,
  type ResourceRecord,
  type ResourceSummary,
  type RevisionRecord,
  type RunResult,
  type Store,
} from '../store/index.js';
import { mark, type Logger } from '../telemetry/index.js';
import type { RenderInputs } from '../render/index.js';
import type { FactSource } from '../facts/index.js';
import { createContext } from '../provider/context.js';
import { loadDesiredAsync, type DesiredState } from '../desired/desired.js';
import { execute, type ActionOutcome } from './executor.js';
import type { WindowGate } from '../windows/gate.js';
import type { BudgetGate } from '../windows/budget.js';
import { errorCode } from '../errors.js';
import { inspect, inspectAll, observeOptionsFor, type Inspection } from './inspect.js';
import { observeAll, revisionDigest, type Observation, type ObserveOptions } from './observe.js';
import { performAction, type Performed } from './perform.js';
import { holderId } from '../store/lock.js';
import { recoverInterrupted } from './runs.js';
import { checkTargetPaths } from './preflight.js';
import { buildPlan } from './planner.js';
import {
  declaredRecord,
  healthOf,
  markFailed,
  markHeld,
  markInSync,
  markOutOfSync,
  windowHold,
  type Hold,
} from './records.js';
import { changeDigest, Recorder } from './recorder.js';
import { announceActions, notifySubscribers, scopeOf } from './notify.js';
import { RunScope } from '../provider/run.js';

export interface EngineOptions {
  store: Store;
  registry: ProviderRegistry;
  settings: Settings;
  logger: Logger;
  secrets: SecretResolver;
  /** Who is acting: the OS user for the CLI. */
  actor: string;
  /** Compiled manifests by content. Defaults to none. */
  manifestCache?: CompiledCache;
  /** Providers' working folders (shared with serve). */
  workRoot?: string;
  /** Variables and overlays of the selected environment. */
  render?: RenderInputs;
  /** Host facts for providers (templates). Defaults to the built-in facts. */
  facts?: FactSource;
}

export interface Planned {
  desired: DesiredState;
  observations: Observation[];
  plan: Plan;
  revision: RevisionRecord;
  /** What the store knew of the source's resources when the plan was made. */
  stored: Map<ResourceId, ResourceSummary>;
}

export interface PlanRequest {
  paths: readonly string[];
  /** The desired state, already loaded (from sources); otherwise it is loaded from `paths`. */
  desired?: DesiredState;
  /** The admitted revision `desired` is (one source's); otherwise a revision is made from the digest. */
  revision?: RevisionRecord;
  prune?: boolean;
  targets?: readonly string[];
}

export interface ApplyHooks {
  onStart?(action: Action): void;
  onDone?(outcome: ActionOutcome): void;
}

export interface ApplyReport {
  runId: string;
  revision: string;
  outcomes: ActionOutcome[];
  counts: {
    created: number;
    updated: number;
    replaced: number;
    deleted: number;
    failed: number;
    skipped: number;
    unchanged: number;
  };
  /** Resources changed (succeeded actions). */
  changed: number;
  result: RunResult;
  durationMs: number;
}

export interface DriftItem {
  id: ResourceId;
  /** Drifted: was applied, now differs. Pending: never applied. Missing: applied, now gone. */
  state: 'Drifted' | 'Pending' | 'Missing';
  changes: Change[];
}

export interface DriftReport {
  revision: string;
  items: DriftItem[];
  inSync: number;
  /** Resources whose desired state cannot be known now (a secret that does not resolve). */
  unknown: ResourceId[];
  diagnostics: Diagnostic[];
}

const PRIORITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 } as const;

export class Engine {
  /** Where provider events go: the recorder of the run in progress. */
  private recorder: Recorder | undefined;
  private readonly onEvent: ObserveOptions['onEvent'] = (id, type, reason, message) =>
    this.recorder?.event(type, reason, message, id);

  constructor(readonly options: EngineOptions) {}

  loadDesired(paths: readonly string[], source?: string): Promise<DesiredState> {
    return loadDesiredAsync({
      paths,
      source,
      catalog: this.options.registry,
      projectRoot: this.options.settings.root,
      defaultNamespace: this.options.settings.namespace,
      cache: this.options.manifestCache,
      render: this.options.render,
      nodeSelector: this.options.settings.sources.find((s) => s.name === source)?.nodeSelector,
    });
  }

  private observeOptions(
    desired: DesiredState,
    onEvent: ObserveOptions['onEvent'],
    resolveOnly = false,
  ): ObserveOptions {
    return observeOptionsFor(this.options, desired, {
      onEvent,
      parallelism: this.options.settings.parallelism,
      resolveOnly,
      unresolvedSecretsUnknown: true,
    });
  }

  /** Observes and compares one resource as plan does (`describe`, approvals). */
  inspect(resource: Resource, desired: DesiredState, orphan = false): Promise<Inspection> {
    return inspect(resource, { ...this.observeOptions(desired, () => undefined), parallelism: 1 }, orphan);
  }

  async plan(request: PlanRequest): Promise<Planned> {
    mark('start plan');
    const desired = request.desired ?? (await this.loadDesired(request.paths));
    mark('load + validate manifests');
    const diags = new Diagnostics();
    diags.addAll(desired.diagnostics.items);
    const targets = this.targetSet(desired.resources, request.targets, diags);
    let observations: Observation[] = [];
    const stored = await this.summaries(desired.sources);
    if (!diags.hasErrors) {
      // One scope per run: providers share batched queries through it (ctx.run).
      const opts = { ...this.observeOptions(desired, this.onEvent), run: new RunScope() };
      mark('store summaries');
      const declared = await inspectAll(
        targets ? desired.resources.filter((r) => targets.has(r.id)) : desired.resources,
        opts,
      );
      checkTargetPaths(declared, desired.resources, desired.locator);
      mark('resolve + observe');
      const orphans = await this.observeOrphans(
        Boolean(request.prune || this.options.settings.defaults.prune),
        desired,
        stored,
        opts,
        targets,
      );
      observations = [...declared, ...orphans];
    } else {
      // Report what the valid resources refer to (source files, secrets) in the same run; no target is read.
      for (const o of await observeAll(desired.resources, this.observeOptions(desired, this.onEvent, true)))
        if (o.error) diags.add(o.error);
    }
    const digest = revisionDigest([...observations, ...desired.policies.digestEntries()]);
    const plan = buildPlan(observations, request.revision?.id ?? digest.slice(0, 16), {
      prune: request.prune || this.options.settings.defaults.prune,
      targets,
    });
    plan.diagnostics = [...diags.items, ...plan.diagnostics];
    mark('diff + plan');
    const revision: RevisionRecord = request.revision ?? {
      id: digest.slice(0, 16),
      digest,
      source: desired.sources.join(','),
      createdAt: new Date().toISOString(),
      resourceCount: desired.resources.length,
      origin: desired.origin,
      admitted: !plan.diagnostics.some((d) => d.severity === 'error'),
    };
    return { desired, observations, plan, revision, stored };
  }

  /** `--target` ids plus everything they depend on. */
  private targetSet(
    resources: readonly Resource[],
    targets: readonly string[] | undefined,
    diags: Diagnostics,
  ): Set<ResourceId> | undefined {
    if (!targets || targets.length === 0) return undefined;
    const edges = new Map(resources.map((r) => [r.id, r.dependsOn]));
    const ids = targets.map((t) => normalizeId(t, this.options.settings.namespace));
    for (const id of ids)
      if (!edges.has(id))
        diags.error({
          code: 'SETPOINT_UNKNOWN_TARGET',
          summary: `--target ${id}: no such resource in the manifests`,
          resourceId: id,
          hint: 'run `setpoint plan` to list the ids',
        });
    return dependencyClosure(ids, edges);
  }

  /** Resources this source applied earlier that are no longer declared. */
  private async observeOrphans(
    prune: boolean,
    desired: DesiredState,
    stored: ReadonlyMap<ResourceId, ResourceSummary>,
    opts: ObserveOptions,
    targets?: ReadonlySet<ResourceId>,
  ): Promise<Observation[]> {
    const declared = new Set(desired.resources.map((r) => r.id));
    const ids = [...stored.values()]
      .filter((r) => r.managed && !declared.has(r.id) && (!targets || targets.has(r.id)))
      .map((r) => r.id);
    if (ids.length === 0) return [];
    const out: Observation[] = [];
    for (const record of await this.options.store.listResources({ ids })) {
      if (!this.options.registry.get(record.kind)) continue;
      const resource = resourceFromRecord(record);
      // Only what will be pruned needs observing; the rest is listed as kept.
      if (prune || resource.lifecycle.prune) out.push(await inspect(resource, opts, true));
      else out.push(keptOrphan(resource, opts));
    }
    return out;
  }

  async apply(
    planned: Planned,
    options: {
      parallelism?: number;
      signal?: AbortSignal;
      windows?: WindowGate;
      overrideWindow?: boolean;
      /** Error-budget gates: an exhausted budget holds the run's changes. */
      budget?: BudgetGate;
    } & ApplyHooks = {},
  ): Promise<ApplyReport> {
    const { store, logger, actor, registry } = this.options;
    const started = performance.now();
    const runId = randomUUID().slice(0, 8);
    const { plan, revision, desired } = planned;
    const now = () => new Date().toISOString();
    const startedAt = now();
    await this.recoverInterrupted();
    const existing = await store.getRevision(revision.id);
    if (!existing) await store.putRevision(revision);
    const run: RunRecord = {
      id: runId,
      command: 'apply',
      revisionId: revision.id,
      actor,
      startedAt,
      result: 'running',
      summary: {},
      holder: holderId(),
    };
    await store.putRun(run);
    const recorder = new Recorder({ store, logger, actor, revisionId: revision.id, runId });
    recorder.start();
    logger.info({ runId, revisionId: revision.id, actions: plan.actions.length }, 'apply started');

    // A write the store refuses (full disk, lost file) stops the run: no action starts that could not be recorded.
    const halt = new AbortController();
    const onAbort = () => halt.abort();
    if (options.signal?.aborted) halt.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let storeFailure: Error | undefined;
    const stopOnStoreFailure = (err: unknown): never => {
      if (storeFailure === undefined) {
        storeFailure = err instanceof Error ? err : new Error(String(err));
        halt.abort();
        logger.error({ runId, err: (err as Error)?.message }, 'cannot record: stopping the run');
      }
      throw err;
    };

    const obsById = new Map(planned.observations.map((o) => [o.resource.id, o]));
    // Temp files a crashed earlier run left beside the targets go first, whether their resources differ or not.
    for (const o of planned.observations) if (!o.error && !o.orphan) o.provider.sweep?.(o.desired);
    // Full records only where an action will change them; no-ops are checked by signature below.
    const prev = await this.previousRecords(
      plan.actions
        .filter((a) => a.op !== 'noop')
        .map((a) => a.id)
        .concat(plan.orphans),
    );
    const recordOf = (o: Observation) =>
      declaredRecord(
        o.resource,
        o.desiredDigest,
        o.resource.source ?? desired.source,
        prev.get(o.resource.id),
        now(),
        !o.orphan,
      );

    // Observed events (e.g. command output) are recorded with the run.
    this.recorder = recorder;

    const held = this.windowHolds(plan.actions, obsById, recorder, options);

    /** The record an outcome leaves: in sync, failed, waiting, or held by a window. */
    const nextRecord = (
      action: Action,
      status: ActionOutcome['status'],
      message: string,
      actual: unknown,
      error: unknown,
    ): ResourceRecord | null => {
      const o = obsById.get(action.id)!;
      if (status === 'succeeded')
        return action.pruned
          ? null
          : markInSync(recordOf(o), healthOf(o, actual), now(), { revision: revision.id });
      const hold = held.get(action.id);
      if (hold) return markHeld(recordOf(o), hold, now());
      // An observe-only kind that misses its target is drift setpoint reports, not a failure.
      if (errorCode(error) === 'SETPOINT_OBSERVE_ONLY')
        return markOutOfSync(recordOf(o), action.changes, healthOf(o, o.actual), now(), 'Drifted');
      return markFailed(recordOf(o), message, now(), status === 'skipped' ? 'Pending' : 'Failed');
    };
    const recordOutcome = (
      action: Action,
      status: ActionOutcome['status'],
      message: string,
      actual?: unknown,
      intent?: ActionIntent,
      error?: unknown,
    ): Promise<void> =>
      recorder
        .outcome({
          id: action.id,
          kind: action.kind,
          op: action.op,
          result: status,
          message: status === 'failed' ? `${action.op} failed: ${message}` : message,
          changes: action.changes,
          via: 'apply',
          record: nextRecord(action, status, message, actual, error),
          detail:
            status === 'succeeded' && !action.pruned
              ? undefined
              : {
                  pruned: action.pruned || undefined,
                  message: status === 'succeeded' ? undefined : message,
                },
          intent,
        })
        .catch(stopOnStoreFailure);

    const skipsRecorded: Promise<void>[] = [];
    const scope = scopeOf(planned.observations);
    announceActions(scope, plan.actions, obsById, (id) => held.has(id));
    const outcomes = await execute(plan.actions, {
      hold: (action) => held.get(action.id)?.message,
      parallelism: options.parallelism ?? this.options.settings.parallelism,
      signal: halt.signal,
      concurrencyOf: (kind) => registry.get(kind)?.concurrency,
      priorityOf: (id) => PRIORITY_RANK[obsById.get(id)?.resource.lifecycle.priority ?? 'normal'],
      // Intent before acting, outcome (record + event + audit) committed before dependents start.
      perform: async (action) => {
        if (storeFailure !== undefined) throw storeFailure;
        // Fencing: the state lock is still ours and the state healthy, or nothing is done (LockLostError stops the run).
        await store.assertCanAct().catch(stopOnStoreFailure);
        const intent = await recorder
          .intend({ id: action.id, op: action.op, via: 'apply', changes: action.changes })
          .catch(stopOnStoreFailure);
        // Again right before acting: a run paused while its intent was written finds out here.
        await store.assertCanAct().catch(stopOnStoreFailure);
        let result: Performed;
        try {
          result = await performAction(obsById.get(action.id)!, action);
        } catch (err) {
          await recordOutcome(
            action,
            'failed',
            (err as Error)?.message ?? String(err),
            undefined,
            intent,
            err,
          );
          throw err;
        }
        await recordOutcome(action, 'succeeded', result.message, result.actual, intent);
        scope?.markChanged(action.id);
        return result.message;
      },
      onStart: (action) => options.onStart?.(action),
      onDone: (outcome) => {
        if (outcome.status === 'skipped' && storeFailure === undefined)
          skipsRecorded.push(
            recordOutcome(outcome.action, 'skipped', outcome.message).catch(() => undefined),
          );
        options.onDone?.(outcome);
      },
    });
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(skipsRecorded);
    mark('execute actions');
    if (!halt.signal.aborted)
      for (const n of await notifySubscribers(scope, planned.observations, outcomes))
        logger[n.ok ? 'info' : 'warn'](
          { runId, resourceId: n.id, revisionId: revision.id, changed: n.changed },
          n.message,
        );

    const counts = {
      created: 0,
      updated: 0,
      replaced: 0,
      deleted: 0,
      failed: 0,
      skipped: 0,
      unchanged: plan.summary.noop,
    };
    for (const o of outcomes) {
      if (o.status === 'failed') counts.failed++;
      else if (o.status === 'skipped') counts.skipped++;
      else
        counts[
          ({ create: 'created', update: 'updated', replace: 'replaced', delete: 'deleted' } as const)[
            o.action.op as 'create'
          ]
        ]++;
    }
    const changed = counts.created + counts.updated + counts.replaced + counts.deleted;
    try {
      if (storeFailure !== undefined) throw storeFailure;
      await this.recordUnchanged(planned, outcomes, prev, recorder);
      mark('no-op records');
      await recorder.stop();
    } catch (err) {
      this.recorder = undefined;
      await recorder.stop().catch(() => undefined);
      await store
        .putRun({ ...run, finishedAt: now(), result: 'failed', summary: { ...counts, changed } })
        .catch(() => undefined);
      logger.error({ runId, err: (err as Error)?.message, ...counts }, 'apply stopped: cannot record');
      throw err;
    }
    this.recorder = undefined;
    mark('flush records');
    const result: RunResult = options.signal?.aborted
      ? 'interrupted'
      : counts.failed + counts.skipped > 0
        ? changed > 0
          ? 'partial'
          : 'failed'
        : 'succeeded';
    if (result === 'succeeded') await store.markConverged(revision.id, now());
    await store.putRun({ ...run, finishedAt: now(), result, summary: { ...counts, changed } });
    const durationMs = performance.now() - started;
    logger.info(
      { runId, revisionId: revision.id, result, ...counts, durationMs: Math.round(durationMs) },
      'apply finished',
    );
    return { runId, revision: revision.id, outcomes, counts, changed, result, durationMs };
  }

  /** Marks runs and actions of processes that are gone as interrupted (audited), before a new run starts. */
  private async recoverInterrupted(): Promise<void> {
    const { runs, intents } = await recoverInterrupted(this.options.store);
    if (runs.length || intents.length)
      this.options.logger.warn(
        { runs: runs.map((r) => r.id), actions: intents.map((i) => i.resourceId) },
        `${runs.length} run(s) of a process that is gone marked interrupted; ${intents.length} action(s) in flight audited as interrupted`,
      );
  }

  /**
   * Error budgets and change windows: an action is held while a gated SLO has
   * no budget left (until it recovers), or inside a deny window (recorded Held,
   * with the window, until it ends), unless overridden, which is audited.
   */
  private windowHolds(
    actions: readonly Action[],
    obsById: ReadonlyMap<ResourceId, Observation>,
    recorder: Recorder,
    options: { windows?: WindowGate; overrideWindow?: boolean; budget?: BudgetGate },
  ): Map<ResourceId, Hold> {
    const held = new Map<ResourceId, Hold>();
    if (!options.windows && !options.budget) return held;
    const nowDate = new Date();
    for (const a of actions) {
      if (a.op === 'noop') continue;
      // A run's actions are changes someone asked for: an exhausted error budget holds them (not overridable by --override-window).
      const budget = options.budget?.check(obsById.get(a.id)!.resource, false);
      if (budget?.effect === 'hold') {
        held.set(a.id, { reason: 'ErrorBudget', message: budget.reason, slo: budget.slo });
        continue;
      }
      const verdict = options.windows?.check(obsById.get(a.id)!.resource, nowDate) ?? { blocked: false };
      if (!verdict.blocked) continue;
      if (options.overrideWindow) {
        recorder.audit({
          action: 'window.override',
          resourceId: a.id,
          diffDigest: changeDigest(a.changes),
          result: 'overridden',
          detail: { window: verdict.window, op: a.op },
        });
        recorder.event(
          'Warning',
          'WindowOverridden',
          `${verdict.reason}; overridden by ${this.options.actor} (--override-window)`,
          a.id,
        );
      } else held.set(a.id, windowHold(verdict.window, verdict.until));
    }
    return held;
  }

  /** Resources the plan left alone are in sync; their records are rewritten only if what they show changed. */
  private async recordUnchanged(
    planned: Planned,
    outcomes: readonly ActionOutcome[],
    prev: ReadonlyMap<ResourceId, ResourceRecord>,
    recorder: Recorder,
  ): Promise<void> {
    const { plan, desired } = planned;
    const obsById = new Map(planned.observations.map((o) => [o.resource.id, o]));
    const acted = new Set(outcomes.map((o) => o.action.id));
    const stamp = new Date().toISOString();
    const stale: Observation[] = [];
    for (const a of plan.actions) {
      if (acted.has(a.id)) continue;
      const o = obsById.get(a.id)!;
      if (a.pruned) {
        recorder.forget(a.id);
        continue;
      }
      const health = healthOf(o, o.actual);
      const candidate = {
        desiredDigest: o.desiredDigest,
        sync: 'InSync' as const,
        health: health.status,
        healthMessage: health.message,
        origin: originOf(o.resource),
        declared: true,
        source: o.resource.source ?? desired.source,
        lastError: undefined,
      };
      if (planned.stored.get(a.id)?.signature !== statusSignature(candidate)) stale.push(o);
    }
    const stalePrev = await this.previousRecords(stale.map((o) => o.resource.id));
    for (const o of stale)
      recorder.record(
        markInSync(
          declaredRecord(
            o.resource,
            o.desiredDigest,
            o.resource.source ?? desired.source,
            stalePrev.get(o.resource.id),
            stamp,
          ),
          healthOf(o, o.actual),
          stamp,
        ),
      );
    for (const id of plan.orphans) {
      const o = obsById.get(id);
      if (o && prev.get(id)?.declared !== false)
        recorder.record(
          declaredRecord(
            o.resource,
            o.desiredDigest,
            o.resource.source ?? desired.source,
            prev.get(id),
            stamp,
            false,
          ),
        );
    }
  }

  /** What the store knows of these sources' resources, by id. */
  private async summaries(sources: readonly string[]): Promise<Map<ResourceId, ResourceSummary>> {
    const out = new Map<ResourceId, ResourceSummary>();
    for (const source of sources)
      for (const r of await this.options.store.listResourceSummaries(source)) out.set(r.id, r);
    return out;
  }

  private async previousRecords(ids: readonly ResourceId[]): Promise<Map<ResourceId, ResourceRecord>> {
    if (ids.length === 0) return new Map();
    return new Map((await this.options.store.listResources({ ids: [...ids] })).map((r) => [r.id, r]));
  }

  /** Observes without acting; records what differs. */
  async drift(request: PlanRequest): Promise<DriftReport> {
    const { store, logger, actor } = this.options;
    const planned = await this.plan({ ...request, prune: false });
    const { plan, revision, desired } = planned;
    if (plan.diagnostics.some((d) => d.severity === 'error'))
      return { revision: revision.id, items: [], inSync: 0, unknown: [], diagnostics: plan.diagnostics };
    const recorder = new Recorder({ store, logger, actor, revisionId: revision.id });
    const prev = new Map<ResourceId, ResourceRecord>();
    for (const source of desired.sources)
      for (const r of await store.listResources({ source })) prev.set(r.id, r);
    const now = new Date().toISOString();
    const items: DriftItem[] = [];
    let inSync = 0;
    const unknown: ResourceId[] = [];
    for (const o of planned.observations) {
      if (o.orphan) continue;
      if (o.unknown) {
        unknown.push(o.resource.id);
        continue;
      }
      const p = prev.get(o.resource.id);
      const record = declaredRecord(o.resource, o.desiredDigest, o.resource.source ?? desired.source, p, now);
      const action = plan.actions.find((a) => a.id === o.resource.id);
      const changes = action ? withoutIgnored(action.changes, o.resource.lifecycle.ignoreChanges) : [];
      if (!action || action.op === 'noop') {
        inSync++;
        recorder.record(markInSync(record, healthOf(o, o.actual), now));
        continue;
      }
      const state: DriftItem['state'] = !record.managed
        ? 'Pending'
        : o.exists || o.absent
          ? 'Drifted'
          : 'Missing';
      items.push({
        id: o.resource.id,
        state,
        changes: action.op === 'delete' ? [{ path: 'ensure', old: 'present', new: 'absent' }] : changes,
      });
      const next = markOutOfSync(record, changes, healthOf(o, o.actual), now);
      if (next.sync === 'Drifted' && p?.sync !== 'Drifted')
        recorder.event(
          'Warning',
          'DriftDetected',
          `${state.toLowerCase()}: ${changes.map((c) => c.path).join(', ') || action.reason}`,
          o.resource.id,
        );
      recorder.record(next);
    }
    await recorder.stop();
    return { revision: revision.id, items, inSync, unknown, diagnostics: plan.diagnostics };
  }
}

export { hasChanges };

/** An orphan that is kept (pruning off): listed in the plan, never observed. */
function keptOrphan(resource: Resource, opts: ObserveOptions): Observation {
  const ctx = createContext({
    resource,
    sourceRoot: opts.sourceRootOf(resource.origin.file),
    secrets: opts.secrets,
    onEvent: opts.onEvent,
  });
  return {
    resource,
    provider: opts.registry.require(resource.key.kind),
    ctx,
    exists: true,
    absent: false,
    renderedDigest: resource.digest,
    desiredDigest: resource.digest,
    orphan: true,
  };
}

export function originOf(r: Resource): string {
  return `${r.origin.file}:${r.origin.line}`;
}

/** Rebuilds a resource from its stored record (for pruning what left the manifests). */
export function resourceFromRecord(r: ResourceRecord): Resource {
  const m = /^(.*):(\d+)$/.exec(r.origin ?? '');
  const resource: Resource = {
    source: r.source,
    id: r.id,
    key: { kind: r.kind, namespace: r.namespace, name: r.name },
    metadata: { name: r.name, namespace: r.namespace, labels: r.labels, annotations: {} },
    spec: r.spec,
    dependsOn: r.dependsOn,
    lifecycle: r.lifecycle,
    origin: { file: m?.[1] ?? r.origin ?? '', line: m ? Number(m[2]) : 0, column: 1, index: 0 },
    digest: '',
  };
  resource.digest = declaredDigest(resource);
  return resource;
}
