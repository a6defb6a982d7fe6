/**
 * The reconciler: given only a resource id, re-read the desired state (the
 * admitted revision) and the actual state (the provider), decide, act within
 * the resource's remediation policy, change windows, thrash guard and rate
 * limit, and record what happened. Level-based: it never trusts what a
 * previous run or an event said, so a missed or duplicated trigger is harmless.
 *
 * Returns `{ requeueAfterMs }` to be looked at again later; throws to be
 * retried with backoff; throws TerminalError to wait until something changes.
 */
import type { FactSource } from '../../facts/index.js';
import { SetpointError, type ErrorDetails } from '../../errors.js';
import { randomUUID } from 'node:crypto';
import type { Resource, ResourceId } from '../../manifest/index.js';
import type { Action } from '../../plan/index.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import { ProviderError } from '../../provider/errors.js';
import { mayApply, type Measurement } from '../../provider/types.js';
import type { Settings } from '../../project/index.js';
import type { SecretResolver } from '../../secrets/index.js';
import type { ApprovalRecord, ResourceRecord, Store } from '../../store/index.js';
import type { SyncStatus } from '../../health/index.js';
import { setCondition } from '../../health/index.js';
import { resourceFromRecord } from '../engine.js';
import { inspect, observeOptionsFor } from '../inspect.js';
import type { Observation, ObserveOptions } from '../observe.js';
import { performAction } from '../perform.js';
import { notifyDependents } from '../notify.js';
import { annotateReconcile } from '../../telemetry/trace.js';
import { phase, phaseSync } from '../../telemetry/phases.js';
import { buildPlan } from '../planner.js';
import { approvalDigest, changeDigest, type OutcomeInput, type Recorder } from '../recorder.js';
import {
  declaredRecord,
  healthOf,
  markFailed,
  markHeld,
  markInSync,
  markOutOfSync,
  storedChanges,
  type Hold,
} from '../records.js';
import type { DesiredIndex } from './desired-index.js';
import { modeFor, type Mode } from './policy.js';
import { flippingFields, isThrashing, recentRepairs } from './thrash.js';
import { auditRuntime, policyConditionChanged, withPolicyCondition } from './runtime-policy.js';
import type { Violation } from '../../policy/index.js';

export interface ReconcileResult {
  requeueAfterMs?: number;
  /** What happened, for metrics: noop | applied | reported | awaiting-approval | held | conflict | failed-retry | forgotten. */
  outcome: string;
}

/** Do not retry until something changes (a new revision, an approval, a resume). */
export class TerminalError extends SetpointError {
  readonly terminal = true;
  constructor(message: string, code = 'SETPOINT_TERMINAL', details?: ErrorDetails) {
    super(message, code, details);
  }
}

export type { WindowGate } from '../../windows/gate.js';
import type { WindowGate } from '../../windows/gate.js';
import type { BudgetGate } from '../../windows/budget.js';

export interface Trigger {
  /** When the change was noticed (watch event time); defaults to now. */
  detectedAt?: number;
  /** Someone asked (approval, resume, sync). */
  user?: boolean;
}

export interface ReconcilerDeps {
  store: Store;
  registry: ProviderRegistry;
  settings: Settings;
  secrets: SecretResolver;
  recorder: Recorder;
  /** The admitted desired state; undefined until a valid revision has been admitted. */
  desired(): DesiredIndex | undefined;
  windows?: WindowGate;
  /** Error-budget gates of `slos:`; none when no SLO has a gate. */
  budget?: BudgetGate;
  /** Waits for a token of the global action rate limit. */
  takeToken(): Promise<void>;
  workRoot?: string;
  /** Host facts for providers (templates). Defaults to the built-in facts. */
  facts?: FactSource;
  /** Called when a resource got in sync (its dependents may go now). */
  onInSync?(id: ResourceId): void;
  /** Sync status of every resource at start, from the store. */
  initialSync?: ReadonlyMap<ResourceId, SyncStatus>;
  /** Called when a revision's last resource got in sync. */
  onConverged?(index: DesiredIndex, at: number): void;
  /** Drift episodes: detection and remediation latencies per kind. */
  onDriftRecorded?(kind: string, detectionMs: number): void;
  onRemediated?(kind: string, remediationMs: number, automatic: boolean): void;
  /** Goal-like readings of what was observed (a Target's value against its threshold), for metrics. */
  onMeasured?(id: ResourceId, measurements: readonly Measurement[]): void;
  /** Every action performed, with its result (for metrics). */
  onAction?(kind: string, op: string, result: 'succeeded' | 'failed' | 'skipped'): void;
  /** Runtime policy violations found on a transition (to record and count). */
  onPolicyViolations?(violations: Violation[], revisionId: string): void;
  /** The actor recorded for automatic actions. Defaults to "setpoint-serve". */
  actor?: string;
}

export class Reconciler {
  /** Deletes performed per revision, for maxDeletesPerRun. */
  private readonly deletes = new Map<string, number>();
  /** Drift episodes in progress: opened when drift is recorded, closed when fixed. */
  private readonly openEpisodes = new Map<ResourceId, { id: number; recordedAt: number }>();

  /** Sync status as last recorded here (the store lags by one flush), for dependency checks. */
  private readonly syncState: Map<ResourceId, SyncStatus>;

  constructor(private readonly deps: ReconcilerDeps) {
    this.syncState = new Map(deps.initialSync ?? []);
  }

  private get recorder(): Recorder {
    return this.deps.recorder;
  }

  /** Writes a record, updating the in-memory sync view first and waking dependents. */
  private record(r: ResourceRecord): void {
    this.deps.recorder.record(r);
    this.noteSync(r);
  }

  /** Updates the in-memory sync view and wakes dependents of what just got in sync. */
  private noteSync(r: ResourceRecord): void {
    const was = this.syncState.get(r.id);
    this.syncState.set(r.id, r.sync);
    if (r.sync === 'InSync' && was !== 'InSync') this.deps.onInSync?.(r.id);
  }

  private forget(id: ResourceId): void {
    this.syncState.delete(id);
    this.resumed.delete(id);
    this.resumedInStore.delete(id);
    this.deps.recorder.forget(id);
  }

  /** Declared dependencies not in sync yet: the resource waits for them (one a rollout holds at its previous revision is there). */
  private waitingFor(resource: Resource, index: DesiredIndex): ResourceId[] {
    return resource.dependsOn.filter(
      (dep) =>
        index.byId.has(dep) &&
        this.syncState.get(dep) !== 'InSync' &&
        !(this.syncState.get(dep) === 'Held' && index.rolloutHold(dep)),
    );
  }

  private get actor(): string {
    return this.deps.actor ?? 'setpoint-serve';
  }

  private observeOptions(index: DesiredIndex): ObserveOptions {
    return observeOptionsFor(this.deps, index.desired, {
      onEvent: (id, type, reason, message) => this.recorder.event(type, reason, message, id),
    });
  }

  private async notifySubscribers(index: DesiredIndex, id: ResourceId): Promise<void> {
    const dependents = (index.dependents.get(id) ?? []).map((d) => index.byId.get(d)!).filter(Boolean);
    const subscribers = dependents.filter((r) => this.deps.registry.get(r.key.kind)?.notify !== undefined);
    if (subscribers.length === 0) return;
    await notifyDependents(id, subscribers, (r) => inspect(r, this.observeOptions(index)));
  }

  /** Resources `setpoint resume` asked to lift from Conflict, until their next reconcile. */
  private readonly resumed = new Set<ResourceId>();
  /**
   * Resources whose resume was already read from the store (its record lifted out of the Conflict
   * recorded here) before its command arrived: that command is then stale, and applying it would
   * forget repairs made since the resume (or lift a later Conflict).
   */
  private readonly resumedInStore = new Set<ResourceId>();

  /** `setpoint resume ID`: the next reconcile of `id` forgets its repair history and its Conflict. */
  resume(id: ResourceId): void {
    if (!this.resumedInStore.delete(id)) this.resumed.add(id);
  }

  async reconcile(id: ResourceId, trigger: Trigger = {}): Promise<ReconcileResult> {
    const index = this.deps.desired();
    if (!index) return { outcome: 'forgotten' };
    const { store, settings } = this.deps;
    const recorder = this.recorder;
    const declared = index.byId.get(id);
    const buffered = this.recorder.peek(id);
    let prev = buffered === null ? undefined : (buffered ?? (await store.getResource(id)));
    // `setpoint resume` lifts Conflict here too: its write to the store may race with a record still buffered here.
    if (this.resumed.delete(id)) {
      if (prev) prev = { ...prev, sync: prev.sync === 'Conflict' ? 'Pending' : prev.sync, remediations: [] };
    } else if (
      buffered === undefined &&
      prev &&
      prev.sync !== 'Conflict' &&
      this.syncState.get(id) === 'Conflict'
    )
      // The store holds a resume whose command is still on its way: this reconcile applies it, the command must not again.
      this.resumedInStore.add(id);
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();

    // Not declared: a prune candidate if setpoint applied it for this source, else nothing to do.
    if (
      !declared &&
      (!prev || !prev.managed || !index.hasSource(prev.source) || !this.deps.registry.get(prev.kind))
    )
      return { outcome: 'forgotten' };
    const resource = declared ?? resourceFromRecord(prev!);
    const orphan = !declared;
    const prune = orphan && (settings.defaults.prune || resource.lifecycle.prune === true);
    if (orphan && !prune) {
      if (prev!.declared) {
        this.record({ ...prev!, declared: false, updatedAt: now });
        recorder.event('Normal', 'NoLongerDeclared', 'left the manifests; kept because pruning is off', id);
      }
      return { outcome: 'forgotten' };
    }

    annotateReconcile({ revisionId: index.revisionOf(id).id });
    const obs = await inspect(resource, this.observeOptions(index), orphan);
    if (!orphan && !obs.error) obs.provider.sweep?.(obs.desired);
    const base = orphan
      ? prev!
      : declaredRecord(resource, obs.desiredDigest, resource.source ?? index.source, prev, now);
    // Runtime policies judge what was observed, before anything repairs it.
    if (!orphan)
      auditRuntime(index, obs, base, now, {
        event: (type, reason, message, rid) => recorder.event(type, reason, message, rid),
        onViolations: (violations, revisionId) => this.deps.onPolicyViolations?.(violations, revisionId),
      });
    if (obs.error) {
      this.record(markFailed(base, obs.error.summary, now));
      throw new Error(obs.error.summary);
    }
    if (obs.provider.measurements && obs.actual !== undefined)
      this.deps.onMeasured?.(id, obs.provider.measurements(obs.desired, obs.actual));
    const revision = index.revisionOf(id);
    const plan = phaseSync('plan', () => buildPlan([obs], revision.id, { prune }));
    if (plan.diagnostics.length > 0) {
      const d = plan.diagnostics[0];
      const failed = markFailed(base, d.summary, now, 'Blocked');
      // Audited once per refusal, not on every resync that finds it again.
      if (prev?.sync !== 'Blocked' || prev.lastError !== failed.lastError)
        recorder.audit({
          action: 'serve.refuse',
          resourceId: id,
          revisionId: revision.id,
          diffDigest: changeDigest(plan.actions[0]?.changes ?? []),
          result: 'refused',
          detail: { code: d.code, message: d.summary },
        });
      this.record(failed);
      recorder.event('Warning', 'Refused', d.summary, id);
      throw new TerminalError(d.summary);
    }
    const action = plan.actions[0];
    annotateReconcile({ action: action?.op ?? 'noop' });
    if (!action || action.op === 'noop') return this.inSync(index, obs, base, prev, nowMs, now, action);

    // Out of sync. Drift = the desired state did not change since setpoint last applied it, unless
    // only the provider's failure fields differ (a process exited): that is the target failing on its
    // own, a health event and a restart, not drift. The record stays in sync and shows the health.
    const unchanged = !orphan && Boolean(prev?.managed) && prev?.lastAppliedDigest === obs.desiredDigest;
    const failure = unchanged && action.op === 'update' && onlyFailureFields(obs, action);
    const isDrift = unchanged && !failure;
    const record = failure
      ? markInSync(base, healthOf(obs, obs.actual), now)
      : markOutOfSync(base, action.changes, healthOf(obs, obs.actual), now);
    if (isDrift && !this.openEpisodes.has(id)) {
      const detectedAt = trigger.detectedAt ?? nowMs;
      const episodeId = await store.openEpisode({
        resourceId: id,
        kind: resource.key.kind,
        detectedAt: new Date(detectedAt).toISOString(),
        recordedAt: now,
      });
      this.openEpisodes.set(id, { id: episodeId, recordedAt: nowMs });
      this.deps.onDriftRecorded?.(resource.key.kind, nowMs - detectedAt);
      recorder.event(
        'Warning',
        'DriftDetected',
        `changed outside setpoint: ${action.changes.map((c) => c.path).join(', ') || action.reason}`,
        id,
      );
    }

    // A resource fought over stays in Conflict until a new revision or `setpoint resume`.
    if (prev?.sync === 'Conflict' && prev.desiredDigest === obs.desiredDigest && unchanged) {
      this.record({
        ...record,
        sync: 'Conflict',
        conditions: withPolicyCondition(prev.conditions, record.conditions),
        remediations: prev.remediations,
      });
      return { outcome: 'conflict' };
    }

    const deletesSoFar = this.deletes.get(revision.id) ?? 0;
    // A failure is repaired by the declared restart policy, whatever the remediation mode.
    let { mode, why } = failure
      ? { mode: 'apply' as Mode, why: 'restart policy' }
      : modeFor({
          declared: resource.lifecycle.remediation,
          projectDefault: settings.defaults.remediation,
          isDrift,
          destructive: action.destructive,
          overDeleteBudget:
            action.op === 'delete' &&
            settings.reconcile.maxDeletesPerRun !== undefined &&
            deletesSoFar >= settings.reconcile.maxDeletesPerRun,
        });

    if (mode === 'report') {
      const paths = action.changes.map((c) => c.path).join(', ') || action.reason;
      this.hold(
        index,
        record,
        { reason: 'AlertMode', message: `drift left as it is (remediation: alert): ${paths}` },
        nowMs,
      );
      return { outcome: 'reported' };
    }

    // An observe-only kind cannot fix its target: that is drift to report, not a failure to retry.
    if (
      !mayApply(obs.provider, obs.desired) &&
      (action.op === 'create' || action.op === 'update' || action.op === 'replace')
    ) {
      const drifted = markOutOfSync(base, action.changes, healthOf(obs, obs.actual), now, 'Drifted');
      if (prev?.sync !== 'Drifted')
        recorder.event(
          'Warning',
          'ObserveOnly',
          `${obs.provider.kind} is observe-only and misses its target: ${action.changes.map((c) => c.path).join(', ') || action.reason}`,
          id,
        );
      this.record(drifted);
      return { outcome: 'reported' };
    }

    // dependsOn: act only once what this depends on is in sync (dependents are woken then).
    const waiting = orphan ? [] : this.waitingFor(resource, index);
    if (waiting.length > 0) {
      this.record({
        ...record,
        conditions: setCondition(
          record.conditions,
          {
            type: 'Synced',
            status: 'False',
            reason: 'WaitingForDependencies',
            message: `waits for ${waiting.join(', ')}`,
          },
          now,
        ),
      });
      return { outcome: 'waiting', requeueAfterMs: 5000 };
    }

    if (
      isDrift &&
      mode === 'apply' &&
      isThrashing(prev?.remediations, nowMs, settings.reconcile.thrashWindowMs, settings.reconcile.thrashMax)
    ) {
      const history = recentRepairs(prev?.remediations, nowMs, settings.reconcile.thrashWindowMs);
      const fields = flippingFields(history);
      const message = `repaired ${history.length} times in ${Math.round(settings.reconcile.thrashWindowMs / 60_000)}m; ${fields.join(', ')} keep${fields.length === 1 ? 's' : ''} flipping: another actor is changing it. Remediation stopped; it resumes on a new revision or \`setpoint resume ${id}\``;
      this.record({
        ...record,
        sync: 'Conflict',
        remediations: history,
        conditions: setCondition(
          record.conditions,
          { type: 'Synced', status: 'False', reason: 'Conflict', message },
          now,
        ),
      });
      recorder.event('Warning', 'Conflict', message, id);
      recorder.audit({
        action: 'serve.conflict',
        resourceId: id,
        revisionId: revision.id,
        diffDigest: changeDigest(action.changes),
        result: 'stopped',
        detail: { fields },
      });
      return { outcome: 'conflict' };
    }

    // Change windows: non-critical actions wait for the window to end.
    const gate = failure ? undefined : this.deps.windows?.check(resource, new Date(nowMs));
    if (gate?.blocked) {
      const until = gate.until.toISOString();
      if (prev?.sync !== 'Held' || prev.blockedUntil !== until)
        recorder.event('Normal', 'Held', `${gate.reason}; waits until ${until}`, id);
      this.hold(
        index,
        record,
        {
          reason: 'ChangeWindow',
          message: `${gate.reason} (window ${gate.window}) until ${until}`,
          until,
          window: gate.window,
        },
        nowMs,
      );
      return { outcome: 'held', requeueAfterMs: Math.max(1000, gate.until.getTime() - nowMs + 50) };
    }

    // Error budgets: while a gated SLO has none left, changes wait and listed repairs pause or ask first.
    const budget = failure ? undefined : this.deps.budget?.check(resource, isDrift);
    if (budget?.effect === 'hold') {
      if (prev?.sync !== 'Held' || prev.held?.reason !== 'ErrorBudget' || prev.held.slo !== budget.slo)
        recorder.event('Normal', 'Held', budget.reason, id);
      this.hold(index, record, { reason: 'ErrorBudget', message: budget.reason, slo: budget.slo }, nowMs);
      return { outcome: 'held', requeueAfterMs: Math.max(100, this.deps.budget!.recheckMs) };
    }
    if (budget?.effect === 'approve' && mode === 'apply') {
      mode = 'approve';
      why = budget.reason;
    }

    let actor = this.actor;
    let approval: ApprovalRecord | undefined;
    if (mode === 'approve') {
      const decision = await this.approval(index, obs, action, record, why, now);
      if (decision.wait) return { outcome: 'awaiting-approval' };
      approval = decision.approval;
      actor = approval?.decidedBy ?? actor;
    }

    return this.act(index, obs, action, record, { isDrift, failure, nowMs, actor, approval, trigger });
  }

  private async inSync(
    index: DesiredIndex,
    obs: Observation,
    base: ResourceRecord,
    prev: ResourceRecord | undefined,
    nowMs: number,
    now: string,
    action: Action | undefined,
  ): Promise<ReconcileResult> {
    const { store } = this.deps;
    const recorder = this.recorder;
    const id = obs.resource.id;
    if (action?.pruned) {
      this.forget(id);
      return { outcome: 'noop' };
    }
    const next = markInSync(base, healthOf(obs, obs.actual), now);
    // Applied before drift tracking existed: what is in sync now is what was applied.
    if (prev?.managed && !prev.lastAppliedDigest) next.lastAppliedDigest = obs.desiredDigest;
    const episode = this.openEpisodes.get(id);
    if (episode) {
      this.openEpisodes.delete(id);
      await store.closeEpisode(episode.id, now, 'resolved');
      recorder.event('Normal', 'DriftResolved', 'back in sync without action', id);
    }
    if (prev?.approvalId) {
      await this.retireApproval(prev.approvalId, 'stale', 'no longer needed: the resource is in sync');
      next.approvalId = undefined;
    }
    const rolloutHold = index.rolloutHold(id);
    if (rolloutHold) {
      // In sync with the previous revision; the new one waits for its rollout step.
      if (prev?.sync !== 'Held' || prev.held?.message !== rolloutHold || prev.health !== next.health)
        this.hold(index, next, { reason: 'RolloutStep', message: rolloutHold }, nowMs);
      else this.converged(index, id, nowMs);
      return { outcome: 'held' };
    }
    if (
      !prev ||
      prev.sync !== 'InSync' ||
      prev.health !== next.health ||
      prev.healthMessage !== next.healthMessage ||
      prev.desiredDigest !== next.desiredDigest ||
      prev.declared !== next.declared ||
      policyConditionChanged(prev.conditions, next.conditions)
    )
      this.record(next);
    this.converged(index, id, nowMs);
    return { outcome: 'noop' };
  }

  /** In sync or held: when it was the last of its revision, the revision converged. */
  private converged(index: DesiredIndex, id: ResourceId, nowMs: number): void {
    if (index.settle(id)) this.deps.onConverged?.(index, nowMs);
  }

  /** Held on purpose: recorded Held (with the reason) and no longer holding back its revision's convergence. */
  private hold(index: DesiredIndex, record: ResourceRecord, hold: Hold, nowMs: number): void {
    this.record(markHeld(record, hold, new Date(nowMs).toISOString()));
    this.converged(index, record.id, nowMs);
  }

  /** Finds, creates or retires the approval this action needs. */
  private async approval(
    index: DesiredIndex,
    obs: Observation,
    action: Action,
    record: ResourceRecord,
    why: string,
    now: string,
  ): Promise<{ wait: boolean; approval?: ApprovalRecord }> {
    const { store, recorder } = this.deps;
    const id = obs.resource.id;
    const digest = approvalDigest(action);
    const existing = (await store.listApprovals({ resourceId: id })).filter(
      (a) => a.state === 'pending' || a.state === 'approved' || a.state === 'rejected',
    );
    const current = existing.find((a) => a.desiredDigest === obs.desiredDigest && a.changeDigest === digest);
    for (const a of existing)
      if (a !== current && a.state !== 'rejected')
        await this.retireApproval(a.id, 'stale', 'the plan changed since it was proposed');
    if (current?.state === 'approved') return { wait: false, approval: current };
    if (current?.state === 'rejected') {
      const by = current.decidedBy ?? 'someone';
      const rejected = {
        ...record,
        approvalId: undefined,
        conditions: setCondition(
          record.conditions,
          { type: 'Approved', status: 'False', reason: 'Rejected', message: `rejected by ${by}` },
          now,
        ),
      };
      this.hold(
        index,
        rejected,
        {
          reason: 'ApprovalRejected',
          message: `approval ${current.id} was rejected by ${by}${current.note ? `: ${current.note}` : ''}; held until the desired state changes`,
        },
        Date.parse(now),
      );
      return { wait: true };
    }
    if (current) {
      this.record({ ...record, approvalId: current.id });
      return { wait: true };
    }
    const approval: ApprovalRecord = {
      id: randomUUID().slice(0, 8),
      resourceId: id,
      revisionId: index.revisionOf(id).id,
      op: action.op,
      reason: `${action.reason} (${why})`,
      destructive: action.destructive,
      changes: storedChanges(action.changes),
      desiredDigest: obs.desiredDigest,
      changeDigest: digest,
      state: 'pending',
      createdAt: now,
    };
    await store.putApproval(approval);
    recorder.audit({
      action: 'approval.request',
      resourceId: id,
      revisionId: approval.revisionId,
      diffDigest: digest,
      result: 'pending',
      detail: { approval: approval.id, op: action.op, why },
    });
    recorder.event(
      'Warning',
      'ApprovalRequired',
      `${action.op} waits for approval ${approval.id}: ${why}; run \`setpoint approve ${approval.id}\``,
      id,
    );
    this.record({
      ...record,
      approvalId: approval.id,
      conditions: setCondition(
        record.conditions,
        {
          type: 'Approved',
          status: 'False',
          reason: 'AwaitingApproval',
          message: `approval ${approval.id} pending (${why})`,
        },
        now,
      ),
    });
    return { wait: true };
  }

  private async retireApproval(approvalId: string, state: 'stale' | 'applied', note: string): Promise<void> {
    const a = await this.deps.store.getApproval(approvalId);
    if (!a || a.state === state || a.state === 'applied' || a.state === 'rejected') return;
    await this.deps.store.putApproval({ ...a, state, note });
    if (state === 'stale')
      this.recorder.event('Normal', 'ApprovalStale', `approval ${a.id} is stale: ${note}`, a.resourceId);
  }

  private async act(
    index: DesiredIndex,
    obs: Observation,
    action: Action,
    record: ResourceRecord,
    ctx: {
      isDrift: boolean;
      /** Repairs a failure of the target itself (the provider reports the restart as its own event). */
      failure: boolean;
      nowMs: number;
      actor: string;
      approval?: ApprovalRecord;
      trigger: Trigger;
    },
  ): Promise<ReconcileResult> {
    const { store } = this.deps;
    const recorder = this.recorder;
    const id = obs.resource.id;
    const revision = index.revisionOf(id);
    await this.deps.takeToken();
    // Fencing: the state lock is still ours and the state healthy, or nothing is done (retried with backoff).
    await store.assertCanAct();
    // Intent before acting: if it cannot be written, nothing is done (the throw retries with backoff).
    const intent = await recorder.intend({
      id,
      op: action.op,
      via: 'serve',
      changes: action.changes,
      actor: ctx.actor,
      revisionId: revision.id,
    });
    // Again right before acting: a leader paused while its intent was written (its lease taken over
    // meanwhile) finds out here, not after it acted beside the new leader.
    await store.assertCanAct();
    const outcome = (
      o: Pick<OutcomeInput, 'result' | 'message' | 'record' | 'detail' | 'reason' | 'quiet'>,
    ) =>
      recorder.outcome(
        {
          ...o,
          id,
          kind: obs.resource.key.kind,
          op: action.op,
          changes: action.changes,
          via: 'serve',
          actor: ctx.actor,
          revisionId: revision.id,
          intent,
        },
        (kind, op, result) => this.deps.onAction?.(kind, op, result),
      );
    let result;
    try {
      result = await phase('act', () => performAction(obs, action));
    } catch (err) {
      const now = new Date().toISOString();
      const message = `${action.op} failed: ${(err as Error).message}`;
      const failed = markFailed(record, (err as Error).message, now);
      this.syncState.set(id, failed.sync);
      await outcome({
        result: 'failed',
        message,
        record: failed,
        detail: { message, approval: ctx.approval?.id, pruned: action.pruned || undefined },
      });
      const retryAfter = err instanceof ProviderError ? err.retryAfterMs : undefined;
      if (retryAfter !== undefined) return { outcome: 'failed-retry', requeueAfterMs: retryAfter };
      throw err;
    }
    const performed = result;
    // Verify: the result's health judged and the outcome recorded, dependents told.
    return phase('verify', () => this.settleAct(index, obs, action, record, ctx, performed, outcome));
  }

  /** After a successful action: record it in sync (or forget it), close its drift episode, settle its approval. */
  private async settleAct(
    index: DesiredIndex,
    obs: Observation,
    action: Action,
    record: ResourceRecord,
    ctx: { isDrift: boolean; failure: boolean; approval?: ApprovalRecord },
    result: { actual: unknown; message: string },
    outcome: (
      o: Pick<OutcomeInput, 'result' | 'message' | 'record' | 'detail' | 'reason' | 'quiet'>,
    ) => Promise<unknown>,
  ): Promise<ReconcileResult> {
    const { store } = this.deps;
    const id = obs.resource.id;
    const revision = index.revisionOf(id);
    const doneMs = Date.now();
    const now = new Date(doneMs).toISOString();
    if (action.op === 'delete') this.deletes.set(revision.id, (this.deletes.get(revision.id) ?? 0) + 1);
    const forget = action.pruned || (obs.absent && action.op === 'delete' && !index.byId.has(id));
    let next: ResourceRecord | null = null;
    if (!forget) {
      next = markInSync(record, healthOf(obs, result.actual), now, { revision: revision.id });
      next.approvalId = undefined;
      // The thrash guard counts repairs of what another actor changed, not the target's own failures.
      const exempt = new Set(obs.provider.failureFields ?? []);
      const fought = action.changes.map((c) => c.path).filter((f) => !exempt.has(f));
      const history = recentRepairs(record.remediations, doneMs, this.deps.settings.reconcile.thrashWindowMs);
      next.remediations =
        ctx.isDrift && fought.length > 0
          ? [...history, { at: now, fields: fought }]
          : ctx.isDrift || ctx.failure
            ? history
            : undefined;
    }
    await outcome({
      result: 'succeeded',
      reason: ctx.isDrift ? 'Remediated' : undefined,
      // A failure's restart is the provider's own event.
      quiet: ctx.failure,
      message: `${result.message}${ctx.approval ? ` (approved by ${ctx.approval.decidedBy})` : ''}`,
      record: next,
      detail: {
        approval: ctx.approval?.id,
        drift: ctx.isDrift || undefined,
        failure: ctx.failure || undefined,
        pruned: action.pruned || undefined,
        by: ctx.approval?.decidedBy,
      },
    });
    if (next) this.noteSync(next);
    else this.syncState.delete(id);
    const rolloutHold = index.rolloutHold(id);
    if (next && rolloutHold) {
      // Repaired to the previous revision, which a rollout step keeps it at.
      next = markHeld(next, { reason: 'RolloutStep', message: rolloutHold }, now);
      this.record(next);
    }
    // Subscribers (a Service's restartOn) hear of the change, as apply's notify step does.
    if (next && action.op !== 'delete') await this.notifySubscribers(index, id);
    if (ctx.approval) {
      await store.putApproval({ ...ctx.approval, state: 'applied', note: `applied at ${now}` });
    }
    if (!next) return { outcome: 'applied' };
    const episode = this.openEpisodes.get(id);
    if (episode) {
      this.openEpisodes.delete(id);
      await store.closeEpisode(
        episode.id,
        now,
        ctx.approval ? 'approved' : ctx.isDrift ? 'auto' : 'revision',
      );
      this.deps.onRemediated?.(obs.resource.key.kind, doneMs - episode.recordedAt, !ctx.approval);
    }
    this.converged(index, id, doneMs);
    // Health may still be settling (e.g. a process starting): look again soon.
    return { outcome: 'applied', requeueAfterMs: next.health === 'Progressing' ? 1000 : undefined };
  }
}

/** The action changes only fields its provider declares as the target's own failures (`failureFields`). */
function onlyFailureFields(obs: Observation, action: Action): boolean {
  const failures = new Set(obs.provider.failureFields ?? []);
  return action.changes.length > 0 && action.changes.every((c) => failures.has(c.path));
}
