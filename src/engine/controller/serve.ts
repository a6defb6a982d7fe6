/**
 * `setpoint serve`: the continuous loop, as the parts a Manager (manager.ts)
 * starts in order and stops in reverse (controller-runtime's manager):
 *
 *   [first runnables: span export] -> [HTTP] -> leader election, and
 *   while this replica leads: recorder -> controller workers -> sources
 *   (first revisions, folder watches, Git polls) -> provider watches ->
 *   periodic resync -> commands (nudges) -> [last runnables: alert evaluator]
 *
 * Several replicas may serve one state: every one serves reads, probes and
 * metrics; the one holding the state lease leads (leadership.ts) and runs
 * the loop. A follower's API writes commands (approvals, nudges) to the
 * store, and the leader executes them. Losing the lease stops the loop at
 * once and the replica follows again; it is restarted on the next election.
 *
 * Stopping (SIGTERM): readiness says 503, no new work is taken, in-flight
 * actions finish, everything is persisted, the lock is released, HTTP goes
 * last. A crash loses nothing that matters: the next start reconciles every
 * resource from the store and the actual state (level-based), and adopts
 * what is still running. While serve cannot act safely (the state cannot be
 * written: health.ts, record-guard.ts) it stops acting, says why on /readyz
 * and resumes by itself.
 */
import { randomUUID } from 'node:crypto';
import type { FactSource } from '../../facts/index.js';
import type { Resource, ResourceId } from '../../manifest/index.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { Disposable } from '../../provider/types.js';
import type { Settings } from '../../project/index.js';
import { TokenBucket } from '../../queue/index.js';
import type { SecretResolver } from '../../secrets/index.js';
import type { RevisionRecord, Store } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { isDrifted, type SyncStatus } from '../../health/index.js';
import { recoverInterrupted } from '../runs.js';
import type { Admission, SourceSet } from '../../source/sources.js';
import { parseDuration } from '../../util/duration.js';
import { createContext } from '../../provider/context.js';
import { combineDesired } from '../../desired/desired.js';
import type { HeldLock } from '../../store/lock.js';
import { Recorder, type Flushed } from '../recorder.js';
import { reportAdmission, reportViolations, type ReportSinks } from './admission-report.js';
import { Controller } from './controller.js';
import { DesiredIndex, type RolloutOverlay } from './desired-index.js';
import { ServeHealth, type Degradation } from './health.js';
import { Leadership, type LeadershipStatus, type StepDownReason } from './leadership.js';
import { SpanLog } from './span-log.js';
import { Manager, type Runnable } from './manager.js';
import { Reconciler, type WindowGate } from './reconciler.js';
import type { BudgetGate } from '../../windows/budget.js';
import { FolderWatch } from './source.js';
import { RecordGuard } from './record-guard.js';
import { CommandLook } from './command-look.js';
import {
  nodeTargetId,
  parseCommandReason,
  ResourceTargetDriver,
  RolloutRunner,
  type LoadedRevision,
  type NodeRollout,
  type Observed,
} from '../../rollout/index.js';
import { NodeTargetDriver, type NodeView } from '../../fleet/rollout-targets.js';
import { onHttpCheck } from '../../providers/http-check/results.js';

export interface ServeOptions {
  /** The sources of desired state (folders are watched, Git repositories polled). */
  sources: SourceSet;
  store: Store;
  registry: ProviderRegistry;
  settings: Settings;
  logger: Logger;
  secrets: SecretResolver;
  metrics: Metrics;
  windows?: WindowGate;
  /** Error-budget gates (slos: with a gate); their readings are refreshed by a runnable of the caller. */
  budget?: BudgetGate;
  workRoot?: string;
  /** The enrolled nodes, for rollouts whose targets are nodes; none: rollouts promote resources only. */
  nodes?: NodeView;
  /** Host facts for providers (templates). Defaults to the built-in facts. */
  facts?: FactSource;
  /** Where the state is (a path or a URL without credentials), for messages. Defaults to "the state". */
  statePath?: string;
  /** Overrides settings.reconcile.resyncMs. */
  resyncMs?: number;
  /** Overrides settings.reconcile.workers. */
  workers?: number;
  /** How often to look for commands from the CLI in the store. Defaults to 250 ms. */
  pollMs?: number;
  /**
   * Look for commands when the store is written instead (Store.watchWrites),
   * and every this many ms for what the watch misses; `pollMs` applies when
   * the store cannot be watched. Undefined: poll every `pollMs`.
   */
  commandFallbackMs?: number;
  /** The leader lease's time to live (renewed every TTL/3). Defaults to 15 s. */
  leaseTtlMs?: number;
  /** This replica's name in the lease holder, logs and audit entries. Defaults to a random one. */
  replicaId?: string;
  /**
   * More runnables: phase "first" ones start before everything else and stop
   * after it (e.g. span export); the others start last and stop first (e.g.
   * the alert evaluator).
   */
  runnables?: ServeRunnable[];
}

/** Something that runs as long as serve does. */
export interface ServeRunnable extends Runnable {
  /** Defaults to "last". */
  phase?: 'first' | 'last';
}

export interface ServeStatus {
  revision?: string;
  admittedAt?: string;
  queueDepth: number;
  processing: number;
  watches: number;
  startedAt: string;
  /** Why serve is not acting now (the state cannot be written…); empty when it is. */
  degraded: Degradation[];
  /** This replica's role, the leader and its lease. */
  leadership: LeadershipStatus;
}

/** The leader lease's default time to live for serve. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

export class Serve {
  /** Whether serve may act, and why not: readiness, the degraded gauge and the workers read it. */
  readonly health = new ServeHealth();
  private lock: HeldLock | undefined;
  readonly leadership: Leadership;
  /** The leader's parts started in the current tenure, in start order. */
  private leading: Runnable[] = [];
  /** The current tenure ended because its lease was lost: act on nothing more (no stop hooks). */
  private deposedByLoss = false;
  private recorder: Recorder | undefined;
  private guard: RecordGuard | undefined;
  private controller: Controller | undefined;
  /** Reconcile spans on their way to the store. */
  private spans: SpanLog | undefined;
  private reconciler: Reconciler | undefined;
  private folderWatches: FolderWatch[] = [];
  /** Progressive rollouts of sources with a strategy (src/rollout). */
  private rollouts: RolloutRunner | undefined;
  /** The latest result of each HttpCheck, for rollout gates. */
  private readonly checks = new Map<string, Observed>();
  /** Each source's current admitted (or pinned) revision and desired state. */
  private readonly bySource = new Map<string, Admission>();
  private index: DesiredIndex | undefined;
  private watches = new Map<string, Disposable>();
  private watching = false;
  private readonly pollTimers = new Map<string, NodeJS.Timeout>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private commands: CommandLook | undefined;
  private nudgeSeq = 0;
  private lastCounter = -1;
  private readonly startedAt = new Date().toISOString();
  private unsubscribeScrape: (() => void) | undefined;
  private unsubscribeFetch: (() => void) | undefined;
  private unsubscribeChecks: (() => void) | undefined;
  private unsubscribeProblem: (() => void) | undefined;
  private stopping = false;
  private managed: Manager | undefined;

  constructor(private readonly options: ServeOptions) {
    this.health.register(options.metrics.registry);
    this.health.onChange((d, raised) => this.healthChanged(d, raised));
    const replicaId = options.replicaId ?? randomUUID().slice(0, 8);
    this.leadership = new Leadership({
      store: options.store,
      logger: options.logger,
      metrics: options.metrics,
      replicaId,
      ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
      onElected: (lock) => this.lead(lock),
      onDeposed: (reason) => this.follow(reason),
    });
  }

  private readonly roleListeners = new Set<(s: LeadershipStatus) => void>();

  /** Called after this replica became leader or stopped leading; returns the unsubscribe. */
  onRoleChange(listener: (s: LeadershipStatus) => void): () => void {
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  private roleChanged(): void {
    const s = this.leadership.status();
    for (const l of this.roleListeners) l(s);
  }

  private readonly flushListeners = new Set<(written: Flushed) => void>();

  /** Calls `listener` after each write of records and events (status changes, events); returns the unsubscribe. */
  onFlushed(listener: (written: Flushed) => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  private emitFlushed(written: Flushed): void {
    for (const l of this.flushListeners) {
      try {
        l(written);
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message }, 'flush listener failed');
      }
    }
  }

  get current(): DesiredIndex | undefined {
    return this.index;
  }

  /**
   * The manager over every part, in start order: the "first" runnables, then
   * `http` (probes answer while the rest starts and while it drains), the
   * parts of the loop, the "last" runnables.
   */
  manager(options: { http?: Runnable; graceMs?: number } = {}): Manager {
    const extra = this.options.runnables ?? [];
    this.managed = new Manager({
      logger: this.options.logger,
      graceMs: options.graceMs,
      runnables: [
        ...extra.filter((r) => r.phase === 'first'),
        ...(options.http ? [options.http] : []),
        this.election(),
      ],
      onUncaught: (err) => this.uncaught(err),
    });
    return this.managed;
  }

  /** Starts every part (a manager without HTTP); see manager() for the order. */
  async start(): Promise<void> {
    await (this.managed ?? this.manager()).start();
  }

  /** Stops every part in reverse order. */
  async stop(): Promise<void> {
    await this.managed?.stop();
  }

  /**
   * Leader election: started after HTTP, stopped before it. On SIGTERM the
   * leader's work stops and the lease is released (a follower takes over at
   * once) while probes still answer.
   */
  private election(): Runnable {
    return {
      name: 'leader election',
      start: async () => {
        this.unsubscribeProblem = this.options.store.onProblem((p) =>
          this.health.degrade('state-lost', p.message),
        );
        await this.leadership.start();
      },
      drain: () => {
        this.stopping = true;
        for (const r of this.leading) r.drain?.();
      },
      stop: async () => {
        await this.leadership.stop();
        this.unsubscribeProblem?.();
        this.options.logger.info({}, 'serve stopped');
      },
    };
  }

  /** Elected: recover what a gone leader left in flight, then start the loop's parts in order. */
  private async lead(lock: HeldLock): Promise<void> {
    const { store, logger } = this.options;
    this.lock = lock;
    this.stopping = false;
    this.deposedByLoss = false;
    this.pass = undefined;
    this.index = undefined;
    this.bySource.clear();
    // Runs and actions of a process that is gone (or a leader that lost its lease): interrupted, and audited so.
    const recovered = await recoverInterrupted(store);
    if (recovered.runs.length || recovered.intents.length)
      logger.warn(
        { runs: recovered.runs.map((r) => r.id), actions: recovered.intents.map((i) => i.resourceId) },
        'runs of a process that is gone marked interrupted; actions in flight audited as interrupted',
      );
    const parts = [...this.parts(), ...(this.options.runnables ?? []).filter((r) => r.phase !== 'first')];
    for (const r of parts) {
      try {
        await r.start();
      } catch (err) {
        logger.error({ runnable: r.name, err: (err as Error).message }, 'cannot start');
        await this.stopLeading();
        throw err;
      }
      this.leading.push(r);
      if (r.name === 'recorder') {
        const previous = lock.lease.previous?.holder;
        this.recorder?.event(
          'Normal',
          'LeaderElected',
          `${lock.lease.holder} leads (term ${lock.term})${previous ? `, after ${previous}` : ''}`,
        );
      }
    }
    this.roleChanged();
  }

  /** Stepping down: stop the loop's parts now, in reverse (a lost lease also skips the stop hooks). */
  private async follow(reason: StepDownReason): Promise<void> {
    this.deposedByLoss = reason === 'lost';
    if (reason !== 'lost')
      this.recorder?.event(
        'Normal',
        'LeaderSteppedDown',
        `${this.leadership.replica} stops leading (term ${this.lock?.term ?? '?'}): ${reason}`,
      );
    await this.stopLeading();
    this.lock = undefined;
    // Stopping is not following: serve is on its way out.
    if (reason !== 'stopping') this.roleChanged();
  }

  private async stopLeading(): Promise<void> {
    this.stopping = true;
    for (const r of this.leading) {
      try {
        r.drain?.();
      } catch (err) {
        this.options.logger.warn({ runnable: r.name, err: (err as Error).message }, 'cannot drain');
      }
    }
    for (const r of [...this.leading].reverse()) {
      try {
        await r.stop();
      } catch (err) {
        this.options.logger.warn(
          { runnable: r.name, err: (err as Error).message },
          'runnable failed to stop',
        );
      }
    }
    this.leading = [];
  }

  /** The loop's parts, in start order (the leader's work). */
  private parts(): Runnable[] {
    return [
      { name: 'recorder', start: () => this.startRecorder(), stop: () => this.stopRecorder() },
      {
        name: 'controller',
        start: () => this.startController(),
        drain: () => (this.stopping = true),
        stop: () => this.stopController(),
      },
      { name: 'rollouts', start: () => this.startRollouts(), stop: () => this.rollouts?.stop() },
      { name: 'sources', start: () => this.startSources(), stop: () => this.stopSources() },
      {
        name: 'watches',
        start: () => {
          this.watching = true;
          if (this.index) this.rewatch(this.index);
        },
        stop: () => this.unwatch(),
      },
      { name: 'resync', start: () => this.startResync(), stop: () => this.stopResync() },
      {
        name: 'commands',
        start: () => this.startCommands(),
        stop: () => this.commands?.stop(),
      },
    ];
  }

  private startRecorder(): void {
    const { store, logger } = this.options;
    const recorder = (this.recorder = new Recorder({
      store,
      logger,
      actor: 'setpoint-serve',
      replica: this.leadership.replica,
      flushIntervalMs: 100,
      onFlushed: (w) => this.emitFlushed(w),
      onFlushError: (err) => {
        if (!this.guard?.failed(err, 'records, events and audit entries'))
          logger.warn({ err: err.message }, 'cannot write records; retrying');
      },
    }));
    this.guard = new RecordGuard({
      store,
      recorder,
      health: this.health,
      logger,
      statePath: this.options.statePath ?? 'the state',
      onRecovered: () => void this.resync(),
    });
    recorder.start();
  }

  private async stopRecorder(): Promise<void> {
    this.guard?.stop();
    try {
      await this.recorder?.stop();
    } catch (err) {
      // Nothing more can be done: say what is lost, and why.
      this.options.logger.error(
        { err: (err as Error).message },
        'cannot write the last records, events and audit entries before stopping',
      );
    }
  }

  private async startController(): Promise<void> {
    const { store, settings, logger, metrics } = this.options;
    // Every source's records, not only a folder's: a Git source's unchanged dependencies are in sync too.
    const initialSync = await syncStateOf(
      store,
      this.options.sources.defs().map((d) => d.name),
    );
    const bucket = new TokenBucket({
      rate: settings.reconcile.actionsPerSecond,
      burst: settings.reconcile.burst,
    });
    const reconciler = (this.reconciler = new Reconciler({
      store,
      registry: this.options.registry,
      settings,
      secrets: this.options.secrets,
      recorder: this.recorder!,
      desired: () => this.index,
      windows: this.options.windows,
      budget: this.options.budget,
      // Right before each action: a token of the rate limit, and the state must take what led to it.
      takeToken: async () => {
        await bucket.take();
        await this.guard!.beforeAction();
      },
      workRoot: this.options.workRoot,
      facts: this.options.facts,
      initialSync,
      onInSync: (id) => {
        for (const dependent of this.index?.dependents.get(id) ?? [])
          this.controller?.enqueue(dependent, 'event');
      },
      onConverged: (index, at) => void this.converged(index, at),
      onDriftRecorded: (kind, ms) => {
        metrics.driftEvents.inc({ kind });
        metrics.detectionSeconds.observe({ kind }, ms / 1000);
      },
      onRemediated: (kind, ms, automatic) => {
        metrics.remediationSeconds.observe({ kind }, ms / 1000);
        metrics.remediations.inc({ kind, mode: automatic ? 'auto' : 'approved' });
      },
      onAction: (kind, op, result) => metrics.actions.inc({ kind, op, result }),
      onMeasured: (id, measurements) => {
        for (const m of measurements) {
          const labels = { resource: id, key_result: m.key };
          metrics.targetValue.set(labels, m.value);
          metrics.targetThreshold.set(labels, m.threshold);
          metrics.targetMeets.set(labels, m.meets ? 1 : 0);
        }
      },
      onPolicyViolations: (violations, revisionId) =>
        void reportViolations(violations, revisionId, false, this.sinks()),
    }));
    const guard = this.guard!;
    const spans = (this.spans = new SpanLog(store, logger));
    this.controller = new Controller({
      // A reconcile that failed because the state cannot be written degrades serve (the key is retried).
      reconciler: {
        reconcile: async (id, trigger) => {
          try {
            return await reconciler.reconcile(id, trigger);
          } catch (err) {
            guard.failed(err, `the record of ${id}`);
            throw err;
          }
        },
      },
      workers: this.options.workers ?? settings.reconcile.workers,
      backoffBaseMs: settings.reconcile.backoffBaseMs,
      backoffMaxMs: settings.reconcile.backoffMaxMs,
      logger,
      metrics,
      priorityOf: (id) => this.index?.byId.get(id)?.lifecycle.priority,
      onIdle: () => this.idle(),
      // While serve cannot act safely the workers wait; keys stay queued.
      gate: (signal) => this.health.whenHealthy(signal),
      onReconciled: (rctx, label, startedAt, ms) => spans.add(rctx, label, startedAt, ms),
    });
    this.controller.start();
  }

  private async stopController(): Promise<void> {
    this.stopping = true;
    await this.controller?.stop();
    await this.spans?.stop();
    // A leader that lost its lease acts on nothing more: the new leader owns the targets now.
    if (!this.deposedByLoss) await this.stopHooks();
  }

  private sinks(): ReportSinks {
    return {
      recorder: this.recorder!,
      store: this.options.store,
      logger: this.options.logger,
      metrics: this.options.metrics,
      onWriteError: (err, what) => this.guard?.failed(err, what),
    };
  }

  /** First revisions of every source, then watches (folders) and polls (Git). */
  private async startSources(): Promise<void> {
    const { sources, logger, metrics } = this.options;
    // Polled sources' fetch-health series exist (at 0) from the first scrape, and follow every fetch.
    metrics.sources.watch(
      sources
        .defs()
        .filter((d) => d.git)
        .map((d) => ({ name: d.name, intervalMs: parseDuration(d.git!.interval ?? '1m')! })),
    );
    this.unsubscribeFetch = sources.onFetch((source, ok, err) => metrics.sources.fetched(source, ok, err));
    this.unsubscribeChecks = onHttpCheck((r) => {
      metrics.httpCheck(r.id, r.ok, r.result.latencyMs);
      // Rollout gates judge a step only by checks made after its targets were ready.
      this.checks.set(r.id, {
        at: Date.parse(r.result.checkedAt),
        ok: r.ok,
        message: r.result.error ?? `HTTP ${r.result.status} in ${Math.round(r.result.latencyMs)} ms`,
      });
    });
    let last: Admission | undefined;
    for (const def of sources.defs()) {
      try {
        const a = await sources.current(def.name);
        reportAdmission(a, this.sinks());
        if (a.desired) {
          this.bySource.set(def.name, a);
          last = a;
          // A rollout in progress before a restart goes on where it was.
          await this.rollouts?.resume(this.rolloutSpec(def.name), def.name, {
            revision: a.revision,
            desired: a.desired,
          });
        }
      } catch (err) {
        this.guard?.failed(err, `source ${def.name}`);
        logger.warn(
          { source: def.name, err: (err as Error).message },
          'source unavailable; retrying on its next fetch',
        );
        this.recorder?.event('Warning', 'SourceUnavailable', `source ${def.name}: ${(err as Error).message}`);
      }
      if (def.paths) {
        this.folderWatches.push(
          new FolderWatch({
            paths: def.paths,
            onChange: () => void this.refresh(def.name, 'change'),
            onError: (err) => logger.warn({ source: def.name, err: err.message }, 'manifest watch error'),
          }),
        );
      } else if (def.git) {
        this.schedulePoll(def.name, parseDuration(def.git.interval ?? '1m')!);
      }
    }
    if (last) await this.rebuild(last);
  }

  private async stopSources(): Promise<void> {
    this.stopping = true;
    for (const t of this.pollTimers.values()) clearTimeout(t);
    this.pollTimers.clear();
    for (const w of this.folderWatches) w.stop();
    this.folderWatches = [];
    await this.sourceWork;
    this.unsubscribeFetch?.();
    this.unsubscribeChecks?.();
  }

  private schedulePoll(name: string, intervalMs: number): void {
    const t = setTimeout(
      () => {
        void this.refresh(name, 'poll').finally(() => {
          if (!this.stopping) this.schedulePoll(name, intervalMs);
        });
      },
      intervalMs * (0.9 + Math.random() * 0.2),
    );
    t.unref();
    this.pollTimers.set(name, t);
  }

  /** Serialises source work: one fetch/admission at a time. */
  private sourceWork: Promise<void> = Promise.resolve();

  /** Fetches (Git) or re-reads (folder) one source; a new admitted revision is applied unless the source is pinned. */
  refresh(name: string, why: 'change' | 'poll' | 'sync'): Promise<void> {
    this.sourceWork = this.sourceWork
      .then(async () => {
        if (this.stopping) return;
        const { sources, store } = this.options;
        const def = sources.get(name);
        const a = def.git ? await sources.sync(name) : await sources.admit(def, def.paths!);
        if (a.known && why !== 'sync' && this.bySource.get(name)?.revision.id === a.revision.id) return;
        reportAdmission(a, this.sinks());
        if (!a.desired) return;
        const state = await store.getSource(name);
        if (state?.pinned && state.pinned !== a.revision.id) {
          this.recorder?.event(
            'Normal',
            'RevisionPinned',
            `source ${name}: revision ${a.revision.id} admitted, not applied: pinned to ${state.pinned}`,
          );
          // The pin itself is what the source stands at.
          const pinned = await sources.current(name);
          if (pinned.desired && this.bySource.get(name)?.revision.id !== pinned.revision.id) {
            this.bySource.set(name, pinned);
            await this.rebuild(pinned);
          }
          return;
        }
        if (this.bySource.get(name)?.revision.id === a.revision.id && why !== 'sync') return;
        const before = this.bySource.get(name);
        const spec = this.rolloutSpec(name);
        if (spec && this.rollouts && before?.desired && before.revision.id !== a.revision.id) {
          // A strategy: the new revision reaches the source's resources step by step.
          this.bySource.set(name, a);
          await this.rollouts.start(
            spec,
            { revision: before.revision, desired: before.desired },
            { revision: a.revision, desired: a.desired },
            'setpoint-serve',
          );
          return;
        }
        this.bySource.set(name, a);
        await this.rebuild(a);
      })
      .catch((err: Error) => {
        this.guard?.failed(err, `source ${name}`);
        this.options.logger.warn({ source: name, err: err.message }, 'source refresh failed');
        this.recorder?.event('Warning', 'SourceUnavailable', `source ${name}: ${err.message}`);
      });
    return this.sourceWork;
  }

  /** Makes the combination of every source's current revision the desired state. */
  private async rebuild(trigger: Admission): Promise<void> {
    const states = this.options.sources
      .defs()
      .map((d) => this.bySource.get(d.name))
      .filter((a): a is Admission => Boolean(a?.desired));
    const compositions = new Map(
      states.map((a) => [a.source, this.rollouts?.composition(a.source)] as const),
    );
    const combined = combineDesired(states.map((a) => compositions.get(a.source)?.desired ?? a.desired!));
    if (combined.diagnostics.hasErrors) {
      // Two sources claim one id: the later source's new revision does not take effect.
      this.recorder?.event(
        'Warning',
        'RevisionRefused',
        `source ${trigger.source}: ${combined.diagnostics.errors[0]?.summary ?? 'conflict'}`,
      );
      return;
    }
    const revisions = new Map<string, RevisionRecord>(states.map((a) => [a.source, a.revision]));
    const previous = this.index;
    const next = new DesiredIndex(trigger.revision, combined, revisions, this.rolloutOverlay(compositions));
    this.index = next;
    this.options.metrics.knownKinds(new Set(combined.resources.map((r) => r.key.kind)));
    this.options.metrics.knownPolicies(combined.policies.policies);
    this.recorder!.setRevision(trigger.revision.id);
    this.pass ??= { what: previous ? 'revision' : 'start-up', started: Date.now(), keys: next.byId.size };
    const changed = new Set(DesiredIndex.changedIds(previous, next));
    for (const id of changed) this.controller!.enqueue(id, 'event');
    // Everything else is looked at too (source files may have changed), behind the changes.
    for (const id of next.byId.keys()) if (!changed.has(id)) this.controller!.enqueue(id, 'resync');
    await this.enqueueOrphans(next);
    if (this.watching) this.rewatch(next);
    this.updateManagedGauge(next);
  }

  private rolloutSpec(source: string) {
    return this.options.settings.rollouts.find((r) => r.source === source);
  }

  /** The rollout runner of this tenure: its host is this serve (records, sources, desired state). */
  private startRollouts(): void {
    const { store, logger, metrics, settings, sources } = this.options;
    if (settings.rollouts.length === 0) return;
    this.rollouts = new RolloutRunner({
      store,
      logger,
      metrics,
      slos: settings.slos,
      drivers: {
        resources: new ResourceTargetDriver((ids) => store.listResources({ ids })),
        ...(this.options.nodes ? { nodes: new NodeTargetDriver(this.options.nodes) } : {}),
      },
      observed: (id) => this.checks.get(id),
      event: (type, reason, message, revisionId) =>
        this.recorder?.event(type, reason, message, undefined, revisionId),
      audit: (input) => this.recorder?.audit(input),
      load: async (source, revisionId) => {
        const a = await sources.load(source, revisionId);
        return { revision: a.revision, desired: a.desired! };
      },
      settle: async (source, stands?: LoadedRevision) => {
        if (stands)
          this.bySource.set(source, {
            source,
            revision: stands.revision,
            desired: stands.desired,
            diagnostics: [],
          });
        const a = this.bySource.get(source);
        if (a?.desired && !this.stopping) await this.rebuild(a);
      },
      pin: async (source, revisionId, actor) => {
        await sources.pin(source, revisionId, actor);
      },
    });
  }

  /** Rollouts across nodes in progress (the fleet API applies their pins to every node's set). */
  nodeRollouts(): NodeRollout[] {
    return this.rollouts?.nodeRollouts() ?? [];
  }

  /** A node's report was stored: a rollout waiting on that node looks again now. */
  nodeReported(node: string): void {
    this.rollouts?.targetReported(nodeTargetId(node));
  }

  /** Which resources of sources being rolled out come from another revision, and which are held. */
  private rolloutOverlay(
    compositions: ReadonlyMap<string, ReturnType<RolloutRunner['composition']>>,
  ): RolloutOverlay | undefined {
    const revisionById = new Map<ResourceId, RevisionRecord>();
    const holds = new Map<ResourceId, string>();
    for (const [source, c] of compositions) {
      if (!c) continue;
      const stable = this.rollouts!.stableOf(source)!.revision;
      for (const [id, rev] of c.revisionOf) if (rev !== c.to) revisionById.set(id, stable);
      for (const id of c.held) holds.set(id, c.message);
    }
    return revisionById.size || holds.size ? { revisionById, holds } : undefined;
  }

  private async enqueueOrphans(index: DesiredIndex): Promise<void> {
    for (const source of index.desired.sources)
      for (const s of await this.options.store.listResourceSummaries(source))
        if (s.managed && !index.byId.has(s.id)) this.controller!.enqueue(s.id, 'event');
  }

  /** One watch per kind that supports it, over the current revision's resources. */
  private rewatch(index: DesiredIndex): void {
    for (const w of this.watches.values()) void w.dispose();
    this.watches.clear();
    const byKind = new Map<string, Resource[]>();
    for (const r of index.byId.values()) {
      let list = byKind.get(r.key.kind);
      if (!list) byKind.set(r.key.kind, (list = []));
      list.push(r);
    }
    for (const [kind, resources] of byKind) {
      const provider = this.options.registry.get(kind);
      if (!provider?.watch) continue;
      try {
        const w = provider.watch(
          resources.map((r) => ({ id: r.id, spec: r.spec })),
          (id) => this.controller?.enqueue(id, 'event', Date.now()),
          (err) => {
            this.options.metrics.watchErrors.inc({ kind });
            this.options.logger.warn({ kind, err: err.message }, 'watch failed; resyncing the kind');
            for (const r of resources) this.controller?.enqueue(r.id, 'resync', Date.now());
          },
        );
        this.watches.set(kind, w);
      } catch (err) {
        this.options.logger.warn({ kind, err: (err as Error).message }, 'cannot watch; relying on resync');
      }
    }
  }

  private async unwatch(): Promise<void> {
    this.watching = false;
    for (const w of this.watches.values()) await w.dispose();
    this.watches.clear();
  }

  private startResync(): void {
    this.scheduleResync();
    // Only a scrape reads the drift gauges: they are computed then, with no timer to wake an idle process.
    this.unsubscribeScrape = this.options.metrics.onScrape(() => this.updateGauges());
  }

  private stopResync(): void {
    this.unsubscribeScrape?.();
    clearTimeout(this.resyncTimer);
  }

  /** A full resync every resyncMs, jittered ±10% so replicas do not align. */
  private scheduleResync(): void {
    const base = this.options.resyncMs ?? this.options.settings.reconcile.resyncMs;
    const delay = base * (0.9 + Math.random() * 0.2);
    this.resyncTimer = setTimeout(() => {
      void this.resync();
      this.scheduleResync();
    }, delay);
    this.resyncTimer.unref();
  }

  /** A full pass in progress (start-up, resync or new revision) and when it began. */
  private pass: { what: string; started: number; keys: number } | undefined;

  private idle(): void {
    const pass = this.pass;
    if (!pass) return;
    this.pass = undefined;
    const ms = Date.now() - pass.started;
    this.options.logger.info({ pass: pass.what, keys: pass.keys, durationMs: ms }, `${pass.what} finished`);
    this.recorder?.event('Normal', 'PassFinished', `${pass.what} of ${pass.keys} resources took ${ms}ms`);
    // A whole pass without a new uncaught error: whatever it broke has been looked at again.
    if (this.health.has('internal-error') && Date.now() - this.lastUncaughtAt > ms)
      this.health.recover('internal-error');
  }

  async resync(): Promise<void> {
    if (this.stopping) return;
    const index = this.index;
    if (!index) return;
    this.pass ??= { what: 'resync', started: Date.now(), keys: index.byId.size };
    for (const id of index.byId.keys()) this.controller!.enqueue(id, 'resync', Date.now());
    try {
      await this.enqueueOrphans(index);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'cannot list orphans');
    }
  }

  private async startCommands(): Promise<void> {
    const { store, logger } = this.options;
    this.nudgeSeq = (await store.listNudges(0)).reduce((m, n) => Math.max(m, n.seq ?? 0), 0);
    this.commands = new CommandLook({
      store,
      look: () => this.pollNudges(),
      onError: (err) => logger.warn({ err: err.message }, 'cannot read commands'),
      pollMs: this.options.pollMs ?? 250,
      fallbackMs: this.options.commandFallbackMs,
    });
    this.commands.start();
    logger.info(
      { revisionId: this.index?.revision.id, resources: this.index?.byId.size ?? 0 },
      'serve started',
    );
  }

  /**
   * Commands (nudges) were written by this process (the HTTP API shares the
   * store connection, so the change counter does not move): read them at the
   * next poll, or at once when the look watches the store (an agent).
   */
  commandsWritten(): void {
    this.lastCounter = -1;
    this.commands?.written();
  }

  /** Commands from the CLI arrive as nudges in the store; the change counter makes the check free. */
  private async pollNudges(): Promise<void> {
    const { store } = this.options;
    const counter = await store.changeCounter();
    if (counter === this.lastCounter) return;
    this.lastCounter = counter;
    for (const n of await store.listNudges(this.nudgeSeq)) {
      this.nudgeSeq = Math.max(this.nudgeSeq, n.seq ?? 0);
      const rollout = parseCommandReason(n.reason);
      if (rollout) {
        await this.rollouts?.command(rollout.source, rollout.verb, n.actor);
        continue;
      }
      if (n.resourceId) {
        if (n.reason === 'resume') this.reconciler?.resume(n.resourceId);
        this.controller?.enqueue(n.resourceId, 'user');
      } else {
        // `setpoint sync`, a pin or a webhook: refresh every source, then look at everything (a hard refresh).
        if (n.reason === 'sync')
          for (const def of this.options.sources.defs()) await this.refresh(def.name, 'sync');
        await this.resync();
      }
    }
  }

  private async converged(index: DesiredIndex, at: number): Promise<void> {
    const { store, metrics } = this.options;
    // A rollout step converged, not the revision: the rollout judges its steps, and the revision converges at 100%.
    if (index.partial) return;
    try {
      await store.markConverged(index.revision.id, new Date(at).toISOString());
    } catch (err) {
      if (!this.guard?.failed(err, `the convergence of revision ${index.revision.id}`))
        this.options.logger.warn({ err: (err as Error).message }, 'cannot record the convergence');
    }
    metrics.convergenceSeconds.observe((at - index.admittedAt) / 1000);
    if (index.revision.committedAt)
      metrics.leadTimeSeconds.observe(Math.max(0, at - Date.parse(index.revision.committedAt)) / 1000);
    this.recorder?.event(
      'Normal',
      'Converged',
      `revision ${index.revision.id} converged in ${((at - index.admittedAt) / 1000).toFixed(2)}s`,
    );
  }

  private lastUncaughtAt = 0;

  /** An uncaught error anywhere in the process: a full state degrades as such, anything else as an internal error. */
  private uncaught(err: Error): void {
    if (this.guard?.failed(err, 'an uncaught write')) return;
    this.lastUncaughtAt = Date.now();
    this.health.degrade(
      'internal-error',
      `uncaught error: ${err.message} (see the log); not acting until a full pass finishes without one`,
    );
    void this.resync();
  }

  /** A condition raised or cleared: an event (kept in memory until the state takes it) and a log line. */
  private healthChanged(d: Degradation, raised: boolean): void {
    if (raised) this.recorder?.event('Warning', 'ServeDegraded', `not acting: ${d.message}`);
    else
      this.recorder?.event(
        'Normal',
        'ServeRecovered',
        `acting again: ${d.reason} is over (since ${d.since})`,
      );
  }

  private updateManagedGauge(index: DesiredIndex): void {
    const counts = new Map<string, number>();
    for (const r of index.byId.values()) counts.set(r.key.kind, (counts.get(r.key.kind) ?? 0) + 1);
    this.options.metrics.managedResources.reset();
    for (const [kind, n] of counts) this.options.metrics.managedResources.set({ kind }, n);
  }

  private async updateGauges(): Promise<void> {
    const index = this.index;
    if (!index) return;
    // Over the resources declared now, whatever their source.
    const sources = [...new Set([index.source, ...index.revisions.keys()])];
    const summaries = (
      await Promise.all(sources.map((source) => this.options.store.listResourceSummaries(source)))
    )
      .flat()
      .filter((s) => index.byId.has(s.id));
    const drifted = summaries.filter((s) => isDrifted(s.sync, s.held));
    this.options.metrics.driftRatio.set(summaries.length ? drifted.length / summaries.length : 0);
    const byKind = new Map<string, number>();
    for (const s of drifted) {
      const kind = s.id.split('/')[0];
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    this.options.metrics.driftedResources.reset();
    for (const [kind, n] of byKind) this.options.metrics.driftedResources.set({ kind }, n);
  }

  status(): ServeStatus {
    return {
      revision: this.index?.revision.id,
      admittedAt: this.index?.revision.createdAt,
      queueDepth: this.controller?.queue.len() ?? 0,
      processing: this.controller?.queue.processing() ?? 0,
      watches: this.watches.size,
      startedAt: this.startedAt,
      degraded: this.health.list(),
      leadership: this.leadership.status(),
    };
  }

  /** Reconciles one resource soon (an API or CLI request). */
  nudge(id: ResourceId): void {
    this.controller?.enqueue(id, 'user');
  }

  /** Providers that hold things which must not outlive serve (e.g. stopWithServe processes). */
  private async stopHooks(): Promise<void> {
    const index = this.index;
    if (!index) return;
    for (const r of index.byId.values()) {
      const provider = this.options.registry.get(r.key.kind);
      if (!provider?.onServeStop) continue;
      const ctx = createContext({
        resource: r,
        sourceRoot: index.desired.sourceRootOf(r.origin.file),
        secrets: this.options.secrets,
        onEvent: () => undefined,
        workRoot: this.options.workRoot,
        facts: this.options.facts,
      });
      try {
        const desired: unknown = provider.resolve ? await provider.resolve(r.spec, ctx) : r.spec;
        await provider.onServeStop(desired, await provider.observe(desired, ctx), ctx);
      } catch (err) {
        this.options.logger.warn({ resourceId: r.id, err: (err as Error).message }, 'stop hook failed');
      }
    }
  }
}

/** The sync status of every resource of `sources`, as the store has it: where serve starts from. */
async function syncStateOf(store: Store, sources: readonly string[]): Promise<Map<ResourceId, SyncStatus>> {
  const state = new Map<ResourceId, SyncStatus>();
  for (const source of sources)
    for (const r of await store.listResourceSummaries(source)) state.set(r.id, r.sync);
  return state;
}
