/**
 * `setpoint serve`: the continuous loop. A set of runnables started in order
 * and stopped in reverse (controller-runtime's manager):
 *
 *   [span export] -> state lock -> recorder -> controller workers ->
 *   manifest source (first revision) -> provider watches -> periodic resync
 *   -> nudge poller -> [alert evaluator]
 *
 * Stopping (SIGTERM): stop taking work, let in-flight actions finish,
 * persist everything, release the lock. A crash loses nothing that matters:
 * the next start reconciles every resource from the store and the actual
 * state (level-based), and adopts what is still running.
 */
import type { Resource, ResourceId } from '../../manifest/index.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { Disposable } from '../../provider/types.js';
import type { Settings } from '../../project/index.js';
import { TokenBucket } from '../../queue/index.js';
import type { SecretResolver } from '../../secrets/index.js';
import type { Store } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { createContext } from '../../provider/context.js';
import { acquireStateLock, type HeldLock } from '../lock.js';
import { Recorder, type Flushed } from '../recorder.js';
import { Controller } from './controller.js';
import { DesiredIndex } from './desired-index.js';
import { Reconciler, type WindowGate } from './reconciler.js';
import { FolderWatch } from './source.js';
import { combineDesired } from '../desired.js';
import type { Admission, SourceSet } from '../../source/sources.js';
import { parseDuration } from '../../util/duration.js';
import type { RevisionRecord } from '../../store/index.js';
import type { SyncStatus } from '../../health/index.js';
import { violationEvent, type Violation } from '../../policy/index.js';
import { recordViolations } from '../violations.js';

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
  workRoot?: string;
  /** Overrides settings.reconcile.resyncMs. */
  resyncMs?: number;
  /** Overrides settings.reconcile.workers. */
  workers?: number;
  /** How often to look for commands from the CLI in the store. Defaults to 250 ms. */
  pollMs?: number;
  /**
   * Started in order and stopped in reverse: phase "first" ones before
   * everything else and stopped after it (e.g. span export); the others last,
   * once the first revisions are in, and stopped first (e.g. the alert evaluator).
   */
  runnables?: ServeRunnable[];
}

/** Something that runs as long as serve does. */
export interface ServeRunnable {
  name: string;
  /** Defaults to "last". */
  phase?: 'first' | 'last';
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface ServeStatus {
  revision?: string;
  admittedAt?: string;
  queueDepth: number;
  processing: number;
  watches: number;
  startedAt: string;
}

export class Serve {
  private lock: HeldLock | undefined;
  private recorder: Recorder | undefined;
  private controller: Controller | undefined;
  private reconciler: Reconciler | undefined;
  private folderWatches: FolderWatch[] = [];
  /** Each source's current admitted (or pinned) revision and desired state. */
  private readonly bySource = new Map<string, Admission>();
  private index: DesiredIndex | undefined;
  private watches = new Map<string, Disposable>();
  private timers: NodeJS.Timeout[] = [];
  private nudgeSeq = 0;
  private lastCounter = -1;
  private readonly startedAt = new Date().toISOString();
  private readonly started: ServeRunnable[] = [];
  private readonly startedFirst: ServeRunnable[] = [];
  private unsubscribeScrape: (() => void) | undefined;
  private stopping = false;

  constructor(private readonly options: ServeOptions) {}

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

  async start(): Promise<void> {
    const { store, settings, logger, metrics } = this.options;
    for (const r of this.options.runnables ?? []) {
      if (r.phase !== 'first') continue;
      await r.start();
      this.startedFirst.push(r);
    }
    this.lock = await acquireStateLock(store, { what: 'serve', actor: 'setpoint-serve' });
    this.recorder = new Recorder({
      store,
      logger,
      actor: 'setpoint-serve',
      flushIntervalMs: 100,
      onFlushed: (w) => this.emitFlushed(w),
    });
    this.recorder.start();
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
      recorder: this.recorder,
      desired: () => this.index,
      windows: this.options.windows,
      takeToken: () => bucket.take(),
      workRoot: this.options.workRoot,
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
      onPolicyViolations: (violations, revisionId) =>
        void this.recordViolations(violations, revisionId, false),
    }));
    this.controller = new Controller({
      reconciler,
      workers: this.options.workers ?? settings.reconcile.workers,
      backoffBaseMs: settings.reconcile.backoffBaseMs,
      backoffMaxMs: settings.reconcile.backoffMaxMs,
      logger,
      metrics,
      priorityOf: (id) => this.index?.byId.get(id)?.lifecycle.priority,
      onIdle: () => this.idle(),
    });
    this.controller.start();
    this.nudgeSeq = (await store.listNudges(0)).reduce((m, n) => Math.max(m, n.seq ?? 0), 0);

    // Polled sources' fetch-health series exist (at 0) from the first scrape.
    metrics.sources.watch(
      this.options.sources
        .defs()
        .filter((d) => d.git)
        .map((d) => ({ name: d.name, intervalMs: parseDuration(d.git!.interval ?? '1m')! })),
    );
    await this.startSources();
    this.scheduleResync();
    const poll = setInterval(
      () =>
        void this.pollNudges().catch((err: Error) =>
          logger.warn({ err: err.message }, 'cannot read commands'),
        ),
      this.options.pollMs ?? 250,
    );
    const gauges = setInterval(() => void this.updateGauges(), 10_000);
    this.timers.push(poll, gauges);
    // A scrape sees the drift gauges as they are now, not as of the last 10 s tick.
    this.unsubscribeScrape = metrics.onScrape(() => this.updateGauges());
    for (const r of this.options.runnables ?? []) {
      if (r.phase === 'first') continue;
      await r.start();
      this.started.push(r);
    }
    logger.info(
      { revisionId: this.index?.revision.id, resources: this.index?.byId.size ?? 0 },
      'serve started',
    );
  }

  /** First revisions of every source, then watches (folders) and polls (Git). */
  private async startSources(): Promise<void> {
    const { sources, logger } = this.options;
    let last: Admission | undefined;
    for (const def of sources.defs()) {
      try {
        const a = await sources.current(def.name);
        this.report(a);
        if (a.desired) {
          this.bySource.set(def.name, a);
          last = a;
        }
      } catch (err) {
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
    this.timers.push(t);
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
        this.report(a);
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
        this.bySource.set(name, a);
        await this.rebuild(a);
      })
      .catch((err: Error) => {
        this.options.logger.warn({ source: name, err: err.message }, 'source refresh failed');
        this.recorder?.event('Warning', 'SourceUnavailable', `source ${name}: ${err.message}`);
      });
    return this.sourceWork;
  }

  /** Events and metrics for an admission (SourceSet records it and audits it). */
  private report(a: Admission): void {
    if (a.known) return;
    const recorder = this.recorder!;
    this.options.metrics.revisions.inc({ result: a.revision.admitted ? 'admitted' : 'refused' });
    if (!a.revision.admitted) {
      const errors = a.diagnostics.filter((d) => d.severity === 'error');
      const first = errors[0];
      const where = first?.file ? `${first.file}:${first.line ?? 0}: ` : '';
      recorder.event(
        'Warning',
        'RevisionRefused',
        `source ${a.source}: revision ${a.revision.id} refused (${errors.length} problems; the previous revision stays in force): ${where}${first?.summary ?? ''}`,
      );
      this.options.logger.warn(
        { source: a.source, revisionId: a.revision.id, diagnostics: a.diagnostics },
        'revision refused',
      );
    } else {
      recorder.event(
        'Normal',
        'RevisionAdmitted',
        `source ${a.source}: revision ${a.revision.id} admitted: ${a.revision.resourceCount} resources`,
      );
      this.options.logger.info(
        { source: a.source, revisionId: a.revision.id, resources: a.revision.resourceCount },
        'revision admitted',
      );
    }
    // Every policy verdict on the revision: an event each (listing all a refusal's denials), a record, a count.
    const violations = a.violations ?? [];
    for (const v of violations) {
      const e = violationEvent(v);
      recorder.event(
        e.type,
        e.reason,
        a.revision.admitted || v.action !== 'deny'
          ? e.message
          : `${e.message}; revision ${a.revision.id} refused`,
        v.resourceId,
      );
    }
    if (violations.length > 0) void this.recordViolations(violations, a.revision.id, !a.revision.admitted);
  }

  /** Violation rows and metrics; an audit entry (policy.deny) for each deny that refused the revision. */
  private async recordViolations(
    violations: readonly Violation[],
    revisionId: string,
    blocked: boolean,
  ): Promise<void> {
    const recorder = this.recorder!;
    try {
      await recordViolations(
        violations,
        { revisionId, blocked },
        { store: this.options.store, metrics: this.options.metrics, audit: (e) => recorder.audit(e) },
      );
    } catch (err) {
      this.options.logger.warn(
        { revisionId, err: (err as Error).message },
        'cannot record policy violations',
      );
    }
  }

  /** Makes the combination of every source's current revision the desired state. */
  private async rebuild(trigger: Admission): Promise<void> {
    const states = this.options.sources
      .defs()
      .map((d) => this.bySource.get(d.name))
      .filter((a): a is Admission => Boolean(a?.desired));
    const combined = combineDesired(states.map((a) => a.desired!));
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
    const next = new DesiredIndex(trigger.revision, combined, revisions);
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
    this.rewatch(next);
    this.updateManagedGauge(next);
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

  /** A full resync every resyncMs, jittered ±10% so replicas do not align. */
  private scheduleResync(): void {
    const base = this.options.resyncMs ?? this.options.settings.reconcile.resyncMs;
    const delay = base * (0.9 + Math.random() * 0.2);
    const t = setTimeout(() => {
      void this.resync();
      this.scheduleResync();
    }, delay);
    t.unref();
    this.timers.push(t);
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
  }

  async resync(): Promise<void> {
    if (this.stopping) return;
    const index = this.index;
    if (!index) return;
    this.pass ??= { what: 'resync', started: Date.now(), keys: index.byId.size };
    for (const id of index.byId.keys()) this.controller!.enqueue(id, 'resync', Date.now());
    await this.enqueueOrphans(index);
  }

  /** Commands from the CLI arrive as nudges in the store; the change counter makes the check free. */
  /**
   * Commands (nudges) were written by this process (the HTTP API shares the
   * store connection, so the change counter does not move): read them at the
   * next poll.
   */
  commandsWritten(): void {
    this.lastCounter = -1;
  }

  private async pollNudges(): Promise<void> {
    const { store } = this.options;
    const counter = await store.changeCounter();
    if (counter === this.lastCounter) return;
    this.lastCounter = counter;
    for (const n of await store.listNudges(this.nudgeSeq)) {
      this.nudgeSeq = Math.max(this.nudgeSeq, n.seq ?? 0);
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
    await store.markConverged(index.revision.id, new Date(at).toISOString());
    metrics.convergenceSeconds.observe((at - index.admittedAt) / 1000);
    if (index.revision.committedAt)
      metrics.leadTimeSeconds.observe(Math.max(0, at - Date.parse(index.revision.committedAt)) / 1000);
    this.recorder?.event(
      'Normal',
      'Converged',
      `revision ${index.revision.id} converged in ${((at - index.admittedAt) / 1000).toFixed(2)}s`,
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
    const drifted = summaries.filter((s) => s.sync === 'Drifted' || s.sync === 'Conflict');
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
    };
  }

  /** Reconciles one resource soon (an API or CLI request). */
  nudge(id: ResourceId): void {
    this.controller?.enqueue(id, 'user');
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.stopRunnables(this.started);
    this.unsubscribeScrape?.();
    for (const t of this.timers) clearInterval(t);
    for (const w of this.watches.values()) await w.dispose();
    this.watches.clear();
    for (const w of this.folderWatches) w.stop();
    await this.controller?.stop();
    await this.stopHooks();
    await this.recorder?.stop();
    await this.lock?.release();
    this.options.logger.info({}, 'serve stopped');
    await this.stopRunnables(this.startedFirst);
  }

  private async stopRunnables(list: ServeRunnable[]): Promise<void> {
    for (const r of [...list].reverse()) {
      try {
        await r.stop();
      } catch (err) {
        this.options.logger.warn(
          { runnable: r.name, err: (err as Error).message },
          'runnable failed to stop',
        );
      }
    }
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
