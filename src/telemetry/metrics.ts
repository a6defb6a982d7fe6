/**
 * Every Prometheus metric setpoint exposes, defined in one place. Names are
 * `setpoint_*` with the unit in the name; labels are bounded (kind, op,
 * result, reason, severity, policy, receiver: never a resource id). The
 * seed's measurements: M1 convergence time, M2 drift, M3 reconcile results,
 * M4 remediation latency, M5 auto-remediation, M6 policy violations, M7
 * errors by reason, M8 CPU/memory (default process metrics), M9 alerts and
 * their noise, M10 change lead time; plus the work queue and watches.
 * deploy/ (Prometheus rules, Grafana dashboards) refers to these names; a test
 * checks that every name it uses exists here.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  ACTION_OPS,
  ACTION_RESULTS,
  ALERT_SEVERITIES,
  NOTIFICATION_RESULTS,
  POLICY_ACTIONS,
  QUEUE_TRIGGERS,
  RECONCILE_ERROR_REASONS,
  RECONCILE_RESULTS,
  REMEDIATION_MODES,
  REVISION_RESULTS,
} from './metric-labels.js';
import { SourceHealth } from './source-health.js';

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
export const SLOW_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

export class Metrics {
  readonly registry = new Registry();

  // M1
  readonly convergenceSeconds = new Histogram({
    name: 'setpoint_revision_convergence_seconds',
    help: 'Time from a revision being admitted to all its resources in sync.',
    buckets: SLOW_BUCKETS,
    registers: [this.registry],
  });
  // M2
  readonly driftRatio = new Gauge({
    name: 'setpoint_drift_ratio',
    help: 'Share of managed resources currently drifted (0..1).',
    registers: [this.registry],
  });
  readonly driftedResources = new Gauge({
    name: 'setpoint_drifted_resources',
    help: 'Resources currently drifted, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly managedResources = new Gauge({
    name: 'setpoint_managed_resources',
    help: 'Resources in the admitted desired state, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  // M3
  readonly reconciles = new Counter({
    name: 'setpoint_reconciles_total',
    help: 'Reconciles by outcome (noop, applied, reported, awaiting-approval, held, waiting, conflict, error, terminal).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'setpoint_reconcile_duration_seconds',
    help: 'Duration of one reconcile.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  // M4
  readonly detectionSeconds = new Histogram({
    name: 'setpoint_drift_detection_latency_seconds',
    help: 'From the change being seen (watch event or resync) to the drift being recorded, by kind.',
    labelNames: ['kind'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly remediationSeconds = new Histogram({
    name: 'setpoint_remediation_latency_seconds',
    help: 'From drift recorded to the fix done, by kind.',
    labelNames: ['kind'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  // M5
  readonly driftEvents = new Counter({
    name: 'setpoint_drift_events_total',
    help: 'Drift episodes recorded, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly remediations = new Counter({
    name: 'setpoint_remediations_total',
    help: 'Drift fixed, by kind and how (auto or approved).',
    labelNames: ['kind', 'mode'],
    registers: [this.registry],
  });
  // M6
  readonly policyViolations = new Counter({
    name: 'setpoint_policy_violations_total',
    help: 'Policy violations by policy and action (deny, warn, audit).',
    labelNames: ['policy', 'action'],
    registers: [this.registry],
  });
  // M7
  readonly reconcileErrors = new Counter({
    name: 'setpoint_reconcile_errors_total',
    help: 'Failed reconciles by reason (error code).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  // M9: alert noise = acknowledged as noise / acknowledged.
  readonly alertsFired = new Counter({
    name: 'setpoint_alerts_fired_total',
    help: 'Alerts that started firing (one per incident, deduplicated by fingerprint), by severity.',
    labelNames: ['severity'],
    registers: [this.registry],
  });
  readonly alertAcks = new Counter({
    name: 'setpoint_alert_acknowledgements_total',
    help: 'Alerts acknowledged with `setpoint alerts ack`, by severity and whether they were actionable (true) or noise (false).',
    labelNames: ['severity', 'actionable'],
    registers: [this.registry],
  });
  readonly alertsActive = new Gauge({
    name: 'setpoint_alerts_active',
    help: 'Alerts firing now, by severity and whether notifications are suppressed (silence or change window).',
    labelNames: ['severity', 'suppressed'],
    registers: [this.registry],
  });
  readonly alertNotifications = new Counter({
    name: 'setpoint_alert_notifications_total',
    help: 'Grouped notifications sent to receivers, by receiver (as configured) and result (sent, failed).',
    labelNames: ['receiver', 'result'],
    registers: [this.registry],
  });
  // Goals (Target, Objective): one series per goal and key result (few: goals are declared by hand).
  readonly targetValue = new Gauge({
    name: 'setpoint_target_value',
    help: "A goal's last reading, by resource and key result (empty for a Target).",
    labelNames: ['resource', 'key_result'],
    registers: [this.registry],
  });
  readonly targetThreshold = new Gauge({
    name: 'setpoint_target_threshold',
    help: "The threshold a goal's reading is held to.",
    labelNames: ['resource', 'key_result'],
    registers: [this.registry],
  });
  readonly targetMeets = new Gauge({
    name: 'setpoint_target_meets',
    help: '1 when the goal meets its threshold (MeetsTarget), 0 when it is behind.',
    labelNames: ['resource', 'key_result'],
    registers: [this.registry],
  });
  readonly sloBurnRate = new Gauge({
    name: 'setpoint_slo_burn_rate_ratio',
    help: 'Error-budget burn rate of each SLO in setpoint.yaml over a window (1 = spending exactly the budget).',
    labelNames: ['slo', 'window'],
    registers: [this.registry],
  });
  readonly sloBudgetRemaining = new Gauge({
    name: 'setpoint_slo_error_budget_remaining_ratio',
    help: "Share of each SLO's error budget left over its window (1 = untouched, below 0 = overspent).",
    labelNames: ['slo'],
    registers: [this.registry],
  });
  // M10
  readonly leadTimeSeconds = new Histogram({
    name: 'setpoint_change_lead_time_seconds',
    help: 'From commit time to the revision converged.',
    buckets: SLOW_BUCKETS,
    registers: [this.registry],
  });
  readonly actions = new Counter({
    name: 'setpoint_actions_total',
    help: 'Actions performed, by kind, operation and result.',
    labelNames: ['kind', 'op', 'result'],
    registers: [this.registry],
  });
  readonly revisions = new Counter({
    name: 'setpoint_revisions_total',
    help: 'Revisions seen, by admission result.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  // Work queue
  readonly queueDepth = new Gauge({
    name: 'setpoint_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [this.registry],
  });
  readonly queueInFlight = new Gauge({
    name: 'setpoint_workqueue_in_flight',
    help: 'Keys being reconciled now.',
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: 'setpoint_workqueue_adds_total',
    help: 'Adds to the work queue, by trigger (user, event, resync).',
    labelNames: ['trigger'],
    registers: [this.registry],
  });
  readonly queueWaitSeconds = new Histogram({
    name: 'setpoint_workqueue_wait_seconds',
    help: 'Time a key waited in the queue.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly queueWorkSeconds = new Histogram({
    name: 'setpoint_workqueue_work_seconds',
    help: 'Time a key was being processed.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'setpoint_workqueue_retries_total',
    help: 'Keys re-queued after a failure.',
    registers: [this.registry],
  });
  readonly watchErrors = new Counter({
    name: 'setpoint_watch_overflows_total',
    help: 'Watches that broke or overflowed, by kind (each triggers a resync of that kind).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  // The fleet: enrolled nodes by state, read from the store at each scrape (bounded: no node label).
  readonly nodes = new Gauge({
    name: 'setpoint_nodes',
    help: 'Enrolled nodes by state: online (heard from, on the current set), behind (heard from, on an older set), offline (no report for 3 check intervals), revoked.',
    labelNames: ['state'],
    registers: [this.registry],
  });
  // Decisions on fleet approvals handed to agents (bounded: no node label).
  readonly fleetDecisions = new Counter({
    name: 'setpoint_fleet_approval_decisions_delivered_total',
    help: 'Decisions on fleet approvals handed to the agents of the nodes they target, by decision (approved, rejected).',
    labelNames: ['decision'],
    registers: [this.registry],
  });
  readonly approvalsPending = new Gauge({
    name: 'setpoint_approvals_pending',
    help: 'Proposed actions waiting for `setpoint approve` or `setpoint reject`.',
    registers: [this.registry],
  });
  // Source fetch health (Git sources, polled every interval).
  readonly sourceLastSuccess = new Gauge({
    name: 'setpoint_source_last_success_timestamp_seconds',
    help: 'Unix time of the last successful fetch of each polled source (0: none since serve started).',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly sourceFetchFailures = new Counter({
    name: 'setpoint_source_fetch_failures_total',
    help: 'Failed fetches of each polled source (unreachable, authentication, unknown ref).',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly sourceFetchInterval = new Gauge({
    name: 'setpoint_source_fetch_interval_seconds',
    help: 'How often each polled source is fetched (its `interval`).',
    labelNames: ['source'],
    registers: [this.registry],
  });
  /** Fetch health of each polled source, for the metrics above and the SourceStale alert. */
  readonly sources = new SourceHealth({
    lastSuccess: this.sourceLastSuccess,
    failures: this.sourceFetchFailures,
    interval: this.sourceFetchInterval,
  });
  // Progressive rollouts (docs/rollout.md): the phase and step of each source's latest rollout, gates, rollbacks.
  readonly rolloutPhase = new Gauge({
    name: 'setpoint_rollout_phase',
    help: "1 for the phase of each source's latest rollout (Progressing, Paused, Completed, RolledBack, Aborted, Superseded), 0 for the others.",
    labelNames: ['source', 'phase'],
    registers: [this.registry],
  });
  readonly rolloutStep = new Gauge({
    name: 'setpoint_rollout_step',
    help: "The step (0-based) each source's latest rollout is at; its step count when done.",
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly rolloutGates = new Counter({
    name: 'setpoint_rollout_gate_results_total',
    help: 'Gate verdicts of rollouts: passed, failed, or promoted by hand.',
    labelNames: ['source', 'result'],
    registers: [this.registry],
  });
  readonly rolloutRollbacks = new Counter({
    name: 'setpoint_rollout_rollbacks_total',
    help: 'Rollouts rolled back to their previous revision (a failed gate or step, or an abort).',
    labelNames: ['source', 'reason'],
    registers: [this.registry],
  });
  // HttpCheck results, labelled by the check's resource id: the one exception to "never a resource
  // id", bounded by the checks declared, as blackbox_exporter's targets are.
  readonly httpCheckSeconds = new Histogram({
    name: 'setpoint_http_check_duration_seconds',
    help: 'Latency of each HttpCheck request (to the end of the body, or to the failure), by check.',
    labelNames: ['check'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly httpCheckSuccess = new Gauge({
    name: 'setpoint_http_check_success',
    help: 'Whether the last request of each HttpCheck met every expectation: 1 or 0.',
    labelNames: ['check'],
    registers: [this.registry],
  });
  readonly httpChecks = new Counter({
    name: 'setpoint_http_checks_total',
    help: 'HttpCheck requests, by check and result (passed, failed): an SLI source (passed / all).',
    labelNames: ['check', 'result'],
    registers: [this.registry],
  });
  /** Records one HttpCheck result. */
  httpCheck(check: string, ok: boolean, latencyMs: number): void {
    this.httpCheckSeconds.observe({ check }, latencyMs / 1000);
    this.httpCheckSuccess.set({ check }, ok ? 1 : 0);
    this.httpChecks.inc({ check, result: ok ? 'passed' : 'failed' });
  }
  // Several serve replicas on one state: which one leads (docs/ha.md).
  readonly leader = new Gauge({
    name: 'setpoint_leader',
    help: 'Whether this serve replica leads (holds the state lease and acts): 1 or 0.',
    registers: [this.registry],
  });
  readonly leaderChanges = new Counter({
    name: 'setpoint_leader_changes_total',
    help: 'Times this replica became leader (elected) or stopped leading (stepped-down); summed over replicas: leadership changes.',
    labelNames: ['change'],
    registers: [this.registry],
  });
  readonly leaseRenewSeconds = new Histogram({
    name: 'setpoint_lease_renew_duration_seconds',
    help: "How long renewing the leader's lease took, by result (renewed; refused: the lease was lost or the store failed).",
    labelNames: ['result'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: 'setpoint_build_info',
    help: 'Always 1; the version of setpoint running.',
    labelNames: ['version'],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean; version?: string } = {}) {
    // CPU and memory of the process under the names every Prometheus client library uses
    // (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*), so stock dashboards find them.
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters (promtool rejects them); the same figures stay as nodejs_active_{handles,requests,resources}.
      for (const name of ['handles', 'requests', 'resources'])
        this.registry.removeSingleMetric(`nodejs_active_${name}_total`);
    }
    this.buildInfo.set({ version: options.version ?? 'unknown' }, 1);
    this.startKnownSeries();
  }

  /** Every series whose labels do not depend on the project, at 0. */
  private startKnownSeries(): void {
    for (const result of RECONCILE_RESULTS) this.reconciles.inc({ result }, 0);
    for (const reason of RECONCILE_ERROR_REASONS) this.reconcileErrors.inc({ reason }, 0);
    for (const trigger of QUEUE_TRIGGERS) this.queueAdds.inc({ trigger }, 0);
    for (const result of REVISION_RESULTS) this.revisions.inc({ result }, 0);
    for (const severity of ALERT_SEVERITIES) {
      this.alertsFired.inc({ severity }, 0);
      for (const actionable of ['true', 'false']) this.alertAcks.inc({ severity, actionable }, 0);
      for (const suppressed of ['true', 'false']) this.alertsActive.set({ severity, suppressed }, 0);
    }
    this.approvalsPending.set(0);
  }

  private readonly kinds = new Set<string>();
  private readonly policies = new Set<string>();
  private readonly receivers = new Set<string>();

  /** Starts the per-kind series of kinds now declared (actions, drift, remediation, watches) at 0; idempotent. */
  knownKinds(kinds: Iterable<string>): void {
    for (const kind of kinds) {
      if (this.kinds.has(kind)) continue;
      this.kinds.add(kind);
      for (const op of ACTION_OPS)
        for (const result of ACTION_RESULTS) this.actions.inc({ kind, op, result }, 0);
      for (const mode of REMEDIATION_MODES) this.remediations.inc({ kind, mode }, 0);
      this.driftEvents.inc({ kind }, 0);
      this.watchErrors.inc({ kind }, 0);
      this.detectionSeconds.zero({ kind });
      this.remediationSeconds.zero({ kind });
    }
  }

  /** Starts `setpoint_policy_violations_total` of the admitted policies at 0, each with its action; idempotent. */
  knownPolicies(policies: Iterable<{ name: string; action: string }>): void {
    for (const { name, action } of policies) {
      const key = `${name}\0${action}`;
      if (this.policies.has(key)) continue;
      this.policies.add(key);
      if ((POLICY_ACTIONS as readonly string[]).includes(action))
        this.policyViolations.inc({ policy: name, action }, 0);
    }
  }

  /** Starts the notification counters of the configured receivers at 0; idempotent. */
  knownReceivers(names: Iterable<string>): void {
    for (const receiver of names) {
      if (this.receivers.has(receiver)) continue;
      this.receivers.add(receiver);
      for (const result of NOTIFICATION_RESULTS) this.alertNotifications.inc({ receiver, result }, 0);
    }
  }

  private readonly scrapeHooks = new Set<() => Promise<void> | void>();

  /** Runs `hook` before each exposition (e.g. serve brings its drift gauges up to date); returns the unsubscribe. */
  onScrape(hook: () => Promise<void> | void): () => void {
    this.scrapeHooks.add(hook);
    return () => this.scrapeHooks.delete(hook);
  }

  /** The Prometheus text exposition, after the scrape hooks (a failing hook leaves its gauges as they were). */
  async text(): Promise<string> {
    await Promise.all(
      [...this.scrapeHooks].map(async (hook) => {
        try {
          await hook();
        } catch {
          // the gauges keep their last values
        }
      }),
    );
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
