/**
 * The rollout runner: serve's leader drives each source's rollout through
 * its steps. A promote step pins more targets to the new revision and waits
 * until they run it (applied, in sync, healthy) within the progress
 * deadline; a gate evaluates its checks every interval over its window. A
 * failed step or gate pins every target back to the previous revision and
 * pins the source there (the rollback of `setpoint rollback`), audited and
 * alerted. Every transition is written to the store first, so a restart
 * resumes where it was. Work on one source is serialised.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DesiredState } from '../desired/desired.js';
import type {
  ApprovalRecord,
  AuditInput,
  EventType,
  RevisionRecord,
  RolloutPhase,
  RolloutRecord,
  Store,
} from '../store/index.js';
import { ROLLOUT_PHASES } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { SloSpec } from '../telemetry/slo/schema.js';
import { composeRevisions, type Composed } from './compose.js';
import { evaluateCheck, judgeGate, nextCheckIn, type CheckOutcome, type Observed } from './gates.js';
import { describeStep, type RolloutSpec } from './schema.js';
import { pinsAfter } from './steps.js';
import { targetKind, type NodeRollout, type RolloutTarget, type TargetDriver } from './targets.js';

/** A revision with its loaded desired state. */
export interface LoadedRevision {
  revision: RevisionRecord;
  desired: DesiredState;
}

/** What serve gives the runner. */
export interface RolloutHost {
  store: Store;
  logger: Logger;
  metrics: Pick<Metrics, 'rolloutPhase' | 'rolloutStep' | 'rolloutGates' | 'rolloutRollbacks'>;
  slos: readonly SloSpec[];
  /** Resources on this host; enrolled nodes, when the fleet serves here (node-targets.ts). */
  drivers: { resources: TargetDriver; nodes?: TargetDriver };
  /** The latest result of a resource whose checker reports each one (HttpChecks): gates count only fresh ones. */
  observed?(id: string): Observed | undefined;
  event(type: EventType, reason: string, message: string, revisionId: string): void;
  audit(input: Omit<AuditInput, 'time' | 'actor'> & { actor?: string }): void;
  /** A revision of a source, loaded (its Git checkout). */
  load(source: string, revisionId: string): Promise<LoadedRevision>;
  /** Make the source's desired state what it should be now (the composition, or `stands` when given). */
  settle(source: string, stands?: LoadedRevision): Promise<void>;
  /** Pins the source to a revision (rollback), audited. */
  pin(source: string, revisionId: string, actor: string): Promise<void>;
}

/** The verbs of `setpoint rollout`. */
export type RolloutVerb = 'pause' | 'resume' | 'abort' | 'promote';

const VERB_RESULT: Record<RolloutVerb, string> = {
  pause: 'paused',
  resume: 'resumed',
  abort: 'aborted',
  promote: 'promoted',
};

interface Active {
  spec: RolloutSpec;
  record: RolloutRecord;
  previous: LoadedRevision;
  next: LoadedRevision;
  targets: RolloutTarget[];
  kind: 'resources' | 'nodes';
  driver: TargetDriver;
  timer?: NodeJS.Timeout;
  /** A look was queued by a target's report and has not started yet. */
  nudged?: boolean;
}

export class RolloutRunner {
  private readonly active = new Map<string, Active>();
  /** Per-source chain of work: one transition at a time. */
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly host: RolloutHost) {}

  /** Whether `source` is being rolled out now. */
  isActive(source: string): boolean {
    return this.active.has(source);
  }

  /** Rollouts in progress whose targets are nodes: the pins every node set decision applies (fleet/rollout-pins.ts). */
  nodeRollouts(): NodeRollout[] {
    return [...this.active.values()]
      .filter((a) => a.kind === 'nodes')
      .map((a) => ({ spec: a.spec, record: a.record, previous: a.previous.desired, next: a.next.desired }));
  }

  /** The driver and targets of a rollout from `previous` to `next`. */
  private async targetsOf(
    spec: RolloutSpec,
    previous: LoadedRevision,
    next: LoadedRevision,
  ): Promise<Pick<Active, 'targets' | 'kind' | 'driver'>> {
    let kind = targetKind(spec, previous.desired, next.desired);
    if (kind === 'nodes' && !this.host.drivers.nodes) {
      this.host.logger.warn(
        { source: spec.source },
        'rollout across nodes without a fleet here: resources roll out',
      );
      kind = 'resources';
    }
    const driver = kind === 'nodes' ? this.host.drivers.nodes! : this.host.drivers.resources;
    return { kind, driver, targets: await driver.targets(spec, previous.desired, next.desired) };
  }

  /**
   * A target reported (a node's report batch): rollouts that wait on it look
   * again now, not at their next check, so a gate adds no more than the
   * report's own delay. Looks queued by several reports at once are one.
   */
  targetReported(target: string): void {
    for (const [source, a] of this.active) {
      const { record } = a;
      if (this.stopped || a.nudged || record.phase !== 'Progressing' || record.pins[target] !== record.to)
        continue;
      a.nudged = true;
      void this.serial(source, () => {
        a.nudged = false;
        return this.tick(source);
      });
    }
  }

  /** The revision a rollout of `source` started from (the one fully rolled out before it). */
  stableOf(source: string): LoadedRevision | undefined {
    return this.active.get(source)?.previous;
  }

  /** The source's desired state now: the two revisions composed by the pins; undefined when no rollout runs. */
  composition(source: string): (Composed & { message: string; to: string }) | undefined {
    const a = this.active.get(source);
    if (!a) return undefined;
    const { record } = a;
    const composed = composeRevisions(a.previous.desired, a.next.desired, record.pins, record);
    const step = Math.min(record.step, record.steps.length - 1);
    return {
      ...composed,
      to: record.to,
      message: `revision ${record.to} waits for rollout ${record.id} (step ${step + 1} of ${record.steps.length}: ${record.steps[step]}${record.phase === 'Paused' ? ', paused' : ''})`,
    };
  }

  private serial(source: string, work: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(source) ?? Promise.resolve()).then(work).catch((err: Error) => {
      this.host.logger.warn({ source, err: err.message }, 'rollout step failed; retrying at the next check');
      this.schedule(source, 1000);
    });
    this.chains.set(source, next);
    return next;
  }

  /**
   * A new admitted revision of a source with a strategy: roll it out from
   * the revision the source stands at. A rollout in progress is superseded:
   * the new one starts from where that one started, unless that one had
   * promoted every target (its last step or gate still running): then every
   * target runs its revision, which is the one to start from and to roll
   * back to.
   */
  async start(
    spec: RolloutSpec,
    current: LoadedRevision,
    next: LoadedRevision,
    actor: string,
  ): Promise<void> {
    await this.serial(spec.source, async () => {
      const running = this.active.get(spec.source);
      const previous = running ? (fullyPromoted(running) ? running.next : running.previous) : current;
      if (running)
        await this.finish(running, 'Superseded', `superseded by revision ${next.revision.id}`, actor);
      const { targets, kind, driver } = await this.targetsOf(spec, previous, next);
      const now = new Date().toISOString();
      const record: RolloutRecord = {
        id: randomBytes(6).toString('hex'),
        name: spec.name,
        source: spec.source,
        from: previous.revision.id,
        to: next.revision.id,
        phase: 'Progressing',
        step: 0,
        steps: spec.steps.map(describeStep),
        pins: {},
        targets: targets.map((t) => t.id),
        stepStartedAt: now,
        startedAt: now,
        updatedAt: now,
        actor,
      };
      const a: Active = { spec, record, previous, next, targets, kind, driver };
      this.active.set(spec.source, a);
      this.host.audit({
        action: 'rollout.start',
        revisionId: record.to,
        result: 'started',
        actor,
        detail: {
          rollout: record.id,
          source: record.source,
          from: record.from,
          targets: targets.length,
          kind,
        },
      });
      this.host.event(
        'Normal',
        'RolloutStarted',
        `rollout ${record.id} of source ${record.source}: revision ${record.from} -> ${record.to} in ${record.steps.length} steps over ${targets.length} ${kind === 'nodes' ? 'node' : 'resource'} targets`,
        record.to,
      );
      await this.enterStep(a, 0);
    });
  }

  /** serve (re)starting: picks up the source's rollout in progress, if any, for the revision it stands at. */
  async resume(spec: RolloutSpec | undefined, source: string, latest: LoadedRevision): Promise<boolean> {
    const [record] = await this.host.store.listRollouts({ source, active: true, limit: 1 });
    if (!record) return false;
    if (!spec) {
      await this.serial(source, async () => {
        record.phase = 'Aborted';
        record.reason = 'the rollout strategy was removed from setpoint.yaml';
        record.finishedAt = record.updatedAt = new Date().toISOString();
        await this.host.store.putRollout(record);
        this.gauge(record);
      });
      return false;
    }
    const previous = await this.host.load(source, record.from);
    if (record.to !== latest.revision.id) {
      // A newer revision came while serve was down: it supersedes this one, from the same starting point.
      const next = await this.host.load(source, record.to);
      this.active.set(source, {
        spec,
        record,
        previous,
        next,
        ...(await this.targetsOf(spec, previous, next)),
      });
      await this.start(spec, previous, latest, 'setpoint-serve');
      return true;
    }
    const next: LoadedRevision = latest;
    const chosen = await this.targetsOf(spec, previous, next);
    // The targets the record names: nodes enrolled since the start are not among them.
    const named = new Set(record.targets);
    const targets = chosen.targets.filter((t) => named.has(t.id));
    this.active.set(source, { spec, record, previous, next, ...chosen, targets });
    this.host.logger.info(
      { source, rollout: record.id, revisionId: record.to, step: record.step, phase: record.phase },
      'rollout resumed after a restart',
    );
    this.gauge(record);
    this.schedule(source, 0);
    return true;
  }

  /** `setpoint rollout pause|resume|abort|promote`, from the leader's command loop. */
  command(source: string, verb: RolloutVerb, actor: string): Promise<void> {
    return this.serial(source, async () => {
      const a = this.active.get(source);
      if (!a) {
        this.host.logger.warn({ source, verb, actor }, 'rollout command: no rollout in progress');
        return;
      }
      const { record } = a;
      this.host.audit({
        action: `rollout.${verb}`,
        revisionId: record.to,
        result: VERB_RESULT[verb],
        actor,
        detail: { rollout: record.id, source, step: record.step },
      });
      if (verb === 'abort') {
        await this.rollback(a, 'Aborted', `aborted by ${actor}`, actor);
        return;
      }
      if (verb === 'pause') {
        if (record.phase === 'Paused') return;
        clearTimeout(a.timer);
        record.phase = 'Paused';
        record.actor = actor;
        await this.save(a);
        this.host.event(
          'Normal',
          'RolloutPaused',
          `rollout ${record.id} paused by ${actor} at step ${record.step + 1}`,
          record.to,
        );
        await this.host.settle(source);
        return;
      }
      if (verb === 'resume') {
        if (record.phase !== 'Paused') return;
        record.phase = 'Progressing';
        record.actor = actor;
        // The step's clock starts again: time paused is no progress missed.
        record.stepStartedAt = new Date().toISOString();
        if (record.gateStartedAt) record.gateStartedAt = record.stepStartedAt;
        await this.save(a);
        this.host.event('Normal', 'RolloutResumed', `rollout ${record.id} resumed by ${actor}`, record.to);
        await this.host.settle(source);
        this.schedule(source, 0);
        return;
      }
      // promote: the current step counts as done.
      this.host.metrics.rolloutGates.inc({ source, result: 'promoted' });
      this.host.event(
        'Normal',
        'RolloutPromoted',
        `rollout ${record.id}: step ${record.step + 1} (${record.steps[record.step]}) promoted by ${actor}`,
        record.to,
      );
      record.phase = 'Progressing';
      record.actor = actor;
      await this.enterStep(a, record.step + 1);
    });
  }

  private schedule(source: string, ms: number): void {
    const a = this.active.get(source);
    if (!a || this.stopped) return;
    clearTimeout(a.timer);
    a.timer = setTimeout(() => void this.serial(source, () => this.tick(source)), ms);
    a.timer.unref();
  }

  /** Moves to step `index`: pins after it, written, made the desired state, then looked at. */
  private async enterStep(a: Active, index: number): Promise<void> {
    const { record, spec } = a;
    const now = new Date().toISOString();
    if (index >= spec.steps.length) {
      await this.finish(a, 'Completed', undefined, record.actor);
      return;
    }
    record.step = index;
    record.stepStartedAt = now;
    record.readyAt = undefined;
    record.gateStartedAt = undefined;
    record.gate = undefined;
    record.approvalId = undefined;
    record.pins = pinsAfter(spec.steps, a.targets, index, record);
    await this.save(a);
    this.host.logger.info(
      {
        source: record.source,
        rollout: record.id,
        revisionId: record.to,
        step: index,
        what: record.steps[index],
      },
      'rollout step',
    );
    await this.host.settle(record.source);
    this.schedule(record.source, 0);
  }

  private async tick(source: string): Promise<void> {
    const a = this.active.get(source);
    if (!a || a.record.phase !== 'Progressing') return;
    const { record, spec } = a;
    const step = spec.steps[record.step];
    const now = Date.now();
    const promoted = a.targets.filter((t) => record.pins[t.id] === record.to);
    if (!record.readyAt) {
      const readiness = await a.driver.readiness(promoted, record.to);
      if (!readiness.ready) {
        if (now - Date.parse(record.stepStartedAt) > spec.progressDeadlineMs) {
          await this.rollback(
            a,
            'RolledBack',
            `step ${record.step + 1} (${record.steps[record.step]}) not ready within ${Math.round(spec.progressDeadlineMs / 1000)}s: ${readiness.waiting.slice(0, 3).join('; ')}`,
            'setpoint-serve',
          );
          return;
        }
        this.schedule(source, Math.min(spec.intervalMs, 500));
        return;
      }
      record.readyAt = new Date(now).toISOString();
      if (step.type === 'promote') {
        await this.enterStep(a, record.step + 1);
        return;
      }
    }
    if (step.type !== 'gate') return;
    if (!record.gateStartedAt) {
      record.gateStartedAt = new Date(now).toISOString();
      if (step.checks.some((c) => c.type === 'approval')) record.approvalId = await this.requestApproval(a);
      await this.save(a);
    }
    const outcomes: CheckOutcome[] = [];
    for (const check of step.checks)
      outcomes.push(
        await evaluateCheck(check, {
          store: this.host.store,
          observed: this.host.observed?.bind(this.host),
          targetHealth: a.driver.health ? (ids) => a.driver.health!(promoted, ids) : undefined,
          since: Date.parse(record.readyAt),
          slos: this.host.slos,
          windowMs: step.windowMs,
          approvalId: record.approvalId,
          now,
        }),
      );
    const at = new Date().toISOString();
    record.gate = outcomes.map((o) => ({ check: o.check, ok: o.ok ?? false, message: o.message, at }));
    const started = Date.parse(record.gateStartedAt);
    let verdict = judgeGate(outcomes, started, step.windowMs, Date.now());
    // No fresh health result within the progress deadline is a failure (a person's approval may take longer).
    const unseen = step.checks.some((c, i) => c.type === 'health' && outcomes[i].ok === undefined);
    if (verdict === 'pending' && unseen && Date.now() - started > spec.progressDeadlineMs) {
      outcomes.forEach((o, i) => {
        if (step.checks[i].type === 'health' && o.ok === undefined) o.ok = false;
      });
      verdict = 'failed';
    }
    if (verdict === 'failed') {
      this.host.metrics.rolloutGates.inc({ source, result: 'failed' });
      const failed = outcomes.filter((o) => o.ok === false);
      await this.rollback(
        a,
        'RolledBack',
        `gate of step ${record.step + 1} failed: ${failed.map((o) => `${o.check}: ${o.message}`).join('; ')}`,
        'setpoint-serve',
      );
      return;
    }
    if (verdict === 'passed') {
      this.host.metrics.rolloutGates.inc({ source, result: 'passed' });
      this.host.event(
        'Normal',
        'RolloutGatePassed',
        `rollout ${record.id}: gate of step ${record.step + 1} passed (${outcomes.map((o) => `${o.check}: ${o.message}`).join('; ')})`,
        record.to,
      );
      await this.enterStep(a, record.step + 1);
      return;
    }
    await this.save(a);
    this.schedule(source, nextCheckIn(started, step.windowMs, spec.intervalMs, Date.now()));
  }

  /** A manual gate: an approval of the step, decided with `setpoint approve`. */
  private async requestApproval(a: Active): Promise<string> {
    const { record } = a;
    const approval: ApprovalRecord = {
      id: randomUUID().slice(0, 8),
      resourceId: `Rollout/default/${record.name}`,
      revisionId: record.to,
      op: 'promote',
      reason: `rollout ${record.id} of source ${record.source}: promote revision ${record.to} past step ${record.step + 1} (${record.steps[record.step]})`,
      destructive: false,
      changes: [],
      desiredDigest: record.id,
      changeDigest: `${record.id}:${record.step}`,
      state: 'pending',
      createdAt: new Date().toISOString(),
    };
    await this.host.store.putApproval(approval);
    this.host.audit({
      action: 'approval.request',
      resourceId: approval.resourceId,
      revisionId: record.to,
      result: 'pending',
      detail: { approval: approval.id, op: 'promote', rollout: record.id },
    });
    this.host.event(
      'Warning',
      'ApprovalRequired',
      `rollout ${record.id} waits for approval ${approval.id}: run \`setpoint approve ${approval.id}\``,
      record.to,
    );
    return approval.id;
  }

  /** Every target back at the previous revision, the source pinned there; the rollout stops. */
  private async rollback(
    a: Active,
    phase: 'RolledBack' | 'Aborted',
    reason: string,
    actor: string,
  ): Promise<void> {
    const { record } = a;
    const back = a.targets.filter((t) => record.pins[t.id] === record.to).map((t) => t.id);
    record.pins = Object.fromEntries(a.targets.map((t) => [t.id, record.from]));
    this.host.metrics.rolloutRollbacks.inc({
      source: record.source,
      reason: phase === 'Aborted' ? 'aborted' : record.gateStartedAt ? 'gate' : 'step',
    });
    this.host.audit({
      action: 'rollout.rollback',
      revisionId: record.from,
      result: phase === 'Aborted' ? 'aborted' : 'rolled-back',
      actor,
      detail: {
        rollout: record.id,
        source: record.source,
        from: record.to,
        to: record.from,
        targets: back,
        reason,
      },
    });
    this.host.event(
      'Warning',
      'RolloutRolledBack',
      `rollout ${record.id} of source ${record.source}: ${reason}; ${back.length} target${back.length === 1 ? '' : 's'} back at revision ${record.from}, the source is pinned there`,
      record.to,
    );
    await this.finish(a, phase, reason, actor);
    await this.host.pin(record.source, record.from, actor);
    await this.host.settle(record.source, a.previous);
  }

  private async finish(
    a: Active,
    phase: RolloutPhase,
    reason: string | undefined,
    actor: string,
  ): Promise<void> {
    const { record } = a;
    clearTimeout(a.timer);
    this.active.delete(record.source);
    const now = new Date().toISOString();
    record.phase = phase;
    record.reason = reason;
    record.finishedAt = now;
    record.actor = actor;
    if (phase === 'Completed') {
      record.step = record.steps.length;
      record.pins = Object.fromEntries(a.targets.map((t) => [t.id, record.to]));
    }
    await this.save(a);
    if (phase === 'Completed') {
      this.host.audit({
        action: 'rollout.complete',
        revisionId: record.to,
        result: 'completed',
        actor,
        detail: { rollout: record.id, source: record.source, from: record.from },
      });
      this.host.event(
        'Normal',
        'RolloutCompleted',
        `rollout ${record.id}: revision ${record.to} promoted to every target of source ${record.source}`,
        record.to,
      );
      await this.host.settle(record.source);
    } else if (phase === 'Superseded')
      this.host.event('Normal', 'RolloutSuperseded', `rollout ${record.id}: ${reason}`, record.to);
  }

  private async save(a: Active): Promise<void> {
    a.record.updatedAt = new Date().toISOString();
    await this.host.store.putRollout(a.record);
    this.gauge(a.record);
  }

  private gauge(record: RolloutRecord): void {
    for (const p of ROLLOUT_PHASES)
      this.host.metrics.rolloutPhase.set({ source: record.source, phase: p }, p === record.phase ? 1 : 0);
    this.host.metrics.rolloutStep.set({ source: record.source }, record.step);
  }

  /** Leadership ends: timers stop; the store keeps where each rollout is. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const a of this.active.values()) clearTimeout(a.timer);
    await Promise.all([...this.chains.values()]);
  }
}

/** Every target of the rollout is pinned to its new revision. */
function fullyPromoted(a: Pick<Active, 'record' | 'targets'>): boolean {
  return a.targets.every((t) => a.record.pins[t.id] === a.record.to);
}
