/**
 * `setpoint serve`: the continuous loop. A set of runnables started in order
 * and stopped in reverse (controller-runtime's manager):
 *
 *   state lock -> recorder -> controller workers -> manifest source (first
 *   revision) -> provider watches -> periodic resync -> nudge poller
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
import type { DesiredState } from '../desired.js';
import { acquireStateLock, type HeldLock } from '../lock.js';
import { Recorder, type Flushed } from '../recorder.js';
import { Controller } from './controller.js';
import { DesiredIndex } from './desired-index.js';
import { Reconciler, type WindowGate } from './reconciler.js';
import { ManifestSource, type Admission } from './source.js';

export interface ServeOptions {
  paths: readonly string[];
  store: Store;
  registry: ProviderRegistry;
  settings: Settings;
  logger: Logger;
  secrets: SecretResolver;
  metrics: Metrics;
  load(paths: readonly string[]): DesiredState;
  windows?: WindowGate;
  workRoot?: string;
  /** Overrides settings.reconcile.resyncMs. */
  resyncMs?: number;
  /** Overrides settings.reconcile.workers. */
  workers?: number;
  /** How often to look for commands from the CLI in the store. Defaults to 250 ms. */
  pollMs?: number;
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
  private source: ManifestSource | undefined;
  private index: DesiredIndex | undefined;
  private watches = new Map<string, Disposable>();
  private timers: NodeJS.Timeout[] = [];
  private nudgeSeq = 0;
  private lastCounter = -1;
  private readonly startedAt = new Date().toISOString();
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
    this.lock = await acquireStateLock(store, { what: 'serve', actor: 'setpoint-serve' });
    this.recorder = new Recorder({ store, logger, actor: 'setpoint-serve', flushIntervalMs: 100, onFlushed: (w) => this.emitFlushed(w) });
    this.recorder.start();
    const initialSync = new Map((await store.listResourceSummaries('local')).map((r) => [r.id, r.sync]));
    const bucket = new TokenBucket({ rate: settings.reconcile.actionsPerSecond, burst: settings.reconcile.burst });
    const reconciler = new Reconciler({
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
        for (const dependent of this.index?.dependents.get(id) ?? []) this.controller?.enqueue(dependent, 'event');
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
    });
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

    this.source = new ManifestSource({
      paths: this.options.paths,
      registry: this.options.registry,
      load: this.options.load,
      onRevision: (a) => this.onRevision(a),
      onError: (err) => logger.warn({ err: err.message }, 'manifest watch error'),
    });
    await this.source.start();

    this.scheduleResync();
    const poll = setInterval(() => void this.pollNudges().catch((err: Error) => logger.warn({ err: err.message }, 'cannot read commands')), this.options.pollMs ?? 250);
    const gauges = setInterval(() => void this.updateGauges(), 10_000);
    this.timers.push(poll, gauges);
    logger.info({ revisionId: this.index?.revision.id, resources: this.index?.byId.size ?? 0 }, 'serve started');
  }

  private async onRevision(a: Admission): Promise<void> {
    const { store, logger, metrics } = this.options;
    const recorder = this.recorder!;
    await store.putRevision(a.revision);
    metrics.revisions.inc({ result: a.revision.admitted ? 'admitted' : 'refused' });
    if (!a.revision.admitted || !a.desired) {
      const first = a.diagnostics.find((d) => d.severity === 'error');
      const where = first?.file ? `${first.file}:${first.line ?? 0}: ` : '';
      recorder.event('Warning', 'RevisionRefused', `revision refused (${a.diagnostics.filter((d) => d.severity === 'error').length} problems; the previous revision stays in force): ${where}${first?.summary ?? ''}`);
      recorder.audit({ action: 'revision.refuse', revisionId: a.revision.id, result: 'refused', detail: { problems: a.diagnostics.length } });
      logger.warn({ revisionId: a.revision.id, diagnostics: a.diagnostics }, 'revision refused');
      return;
    }
    const previous = this.index;
    const next = new DesiredIndex(a.revision, a.desired);
    this.index = next;
    recorder.setRevision(a.revision.id);
    recorder.event('Normal', 'RevisionAdmitted', `revision ${a.revision.id} admitted: ${next.byId.size} resources`);
    recorder.audit({ action: 'revision.admit', revisionId: a.revision.id, result: 'admitted', detail: { resources: next.byId.size } });
    logger.info({ revisionId: a.revision.id, resources: next.byId.size }, 'revision admitted');
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
    for (const s of await this.options.store.listResourceSummaries(index.source))
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
  private async pollNudges(): Promise<void> {
    const { store } = this.options;
    const counter = await store.changeCounter();
    if (counter === this.lastCounter) return;
    this.lastCounter = counter;
    for (const n of await store.listNudges(this.nudgeSeq)) {
      this.nudgeSeq = Math.max(this.nudgeSeq, n.seq ?? 0);
      if (n.resourceId) this.controller?.enqueue(n.resourceId, 'user');
      else {
        // `setpoint sync`: reload the sources, then look at everything (a hard refresh).
        if (n.reason === 'sync') await this.source?.reload();
        await this.resync();
      }
    }
  }

  private async converged(index: DesiredIndex, at: number): Promise<void> {
    const { store, metrics } = this.options;
    await store.markConverged(index.revision.id, new Date(at).toISOString());
    metrics.convergenceSeconds.observe((at - index.admittedAt) / 1000);
    if (index.revision.committedAt) metrics.leadTimeSeconds.observe((at - Date.parse(index.revision.committedAt)) / 1000);
    this.recorder?.event('Normal', 'Converged', `revision ${index.revision.id} converged in ${((at - index.admittedAt) / 1000).toFixed(2)}s`);
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
    const summaries = await this.options.store.listResourceSummaries(index.source);
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
    for (const t of this.timers) clearInterval(t);
    for (const w of this.watches.values()) await w.dispose();
    this.watches.clear();
    this.source?.stop();
    await this.controller?.stop();
    await this.stopHooks();
    await this.recorder?.stop();
    await this.lock?.release();
    this.options.logger.info({}, 'serve stopped');
  }

  /** Providers that hold things which must not outlive serve (e.g. stopWithServe processes). */
  private async stopHooks(): Promise<void> {
    const index = this.index;
    if (!index) return;
    for (const r of index.byId.values()) {
      const provider = this.options.registry.get(r.key.kind);
      if (!provider?.onServeStop) continue;
      const ctx = createContext({ resource: r, sourceRoot: index.desired.sourceRootOf(r.origin.file), secrets: this.options.secrets, onEvent: () => undefined, workRoot: this.options.workRoot });
      try {
        const desired = provider.resolve ? await provider.resolve(r.spec, ctx) : r.spec;
        await provider.onServeStop(desired, await provider.observe(desired, ctx), ctx);
      } catch (err) {
        this.options.logger.warn({ resourceId: r.id, err: (err as Error).message }, 'stop hook failed');
      }
    }
  }
}
