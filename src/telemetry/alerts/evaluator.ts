/**
 * The alert evaluator, a runnable of `serve`. Every evaluation interval it
 * takes a snapshot of the state (resources, pending approvals, the current
 * revision, new PolicyViolation events, SLO burn rates, polled sources' fetch
 * health), runs the built-in rules and moves each alert through its life:
 *
 *   condition seen -> pending (for `for`) -> firing (a new incident) -> resolved
 *
 * An alert is its labels: the same fingerprint on the next evaluation is the
 * same incident, never a new one. Firing alerts are suppressed while a
 * silence matches them or a change window blocks the resource they are
 * about; the rest are routed, grouped and notified (dispatch.ts), and
 * resolved ones that had been notified get a resolved notification.
 * Incidents are kept in the store, so a restart neither forgets nor repeats
 * them; acknowledgements made with the CLI are counted in the M9 metrics.
 */
import { randomBytes } from 'node:crypto';
import type { AlertRecord, SilenceRecord } from '../../store/alerts.js';
import type { RevisionRecord, Store } from '../../store/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { sloStatuses, type SloStatus } from '../slo/status.js';
import type { SloSpec } from '../slo/schema.js';
import { FAILED_OUTCOMES, RECONCILE_SLI, UNCOUNTED_OUTCOMES } from '../slo/sli.js';
import { dueNotifications, route } from './dispatch.js';
import { fingerprint, matchesAll, type Labels } from './labels.js';
import { deliver, type Notification } from './receivers.js';
import { GOAL_KINDS } from './rules/target-behind.js';
import { BUILTIN_RULES } from './rules/index.js';
import { RULE_NAMES, type AlertSettings, type ReceiverConfig } from './schema.js';
import type { AlertSubject, Candidate, NodeSeen, RuleInput, ViolationSeen } from './types.js';

export interface EvaluatorOptions {
  store: Store;
  settings: AlertSettings;
  slos: readonly SloSpec[];
  defaultRemediation: 'auto' | 'alert' | 'approve';
  logger: Logger;
  metrics?: Metrics;
  /** Why change windows hold back notifications about this subject (undefined: project-wide alert), or undefined. */
  windows?(subject: AlertSubject | undefined, now: Date): string | undefined;
  /** Sends a notification. Defaults to an HTTP POST (receivers.ts). */
  deliver?: (receiver: ReceiverConfig, n: Notification) => Promise<void>;
  /** Clock. Defaults to Date.now. */
  now?(): number;
  /** The enrolled nodes with their state (serve's fleet); none when not given. */
  nodes?(): Promise<readonly NodeSeen[]>;
  /** `fleet.behindAfter`. Defaults to 10m. */
  nodeBehindAfterMs?: number;
}

export class AlertEvaluator {
  /** Firing incidents, and resolved ones whose resolution is still to be notified, by fingerprint. */
  private readonly alerts = new Map<string, AlertRecord>();
  /** Conditions seen but not yet held for their `for`: when first seen. */
  private readonly pending = new Map<string, number>();
  private readonly violations = new Map<string, ViolationSeen>();
  /** The resource each alert is about (for change windows), by fingerprint. */
  private readonly subjects = new Map<string, AlertSubject | undefined>();
  private readonly countedAcks = new Set<string>();
  private lastEventSeq = 0;
  private lastReconciles = new Map<string, number>();
  private ackCheckFrom = '';
  private timer: NodeJS.Timeout | undefined;
  private unsubscribeScrape: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** SLO statuses of the last evaluation. */
  slos: SloStatus[] = [];

  constructor(private readonly options: EvaluatorOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Loads open incidents from the store, then evaluates every interval. */
  async start(): Promise<void> {
    const { store } = this.options;
    const now = this.now();
    for (const a of await store.listAlerts({ states: ['firing'] })) this.alerts.set(a.fingerprint, a);
    for (const a of await store.listAlerts({
      states: ['resolved'],
      since: new Date(now - 86_400_000).toISOString(),
    }))
      if (a.notifiedAt && !a.resolvedNotifiedAt && !this.alerts.has(a.fingerprint))
        this.alerts.set(a.fingerprint, a);
    this.lastEventSeq = (await store.listEvents({ limit: 1 }))[0]?.seq ?? 0;
    // Violations that started before this serve: from the PolicyCompliant conditions, once (later ones come as events).
    for (const r of await store.listResources())
      for (const c of r.conditions)
        if (c.reason === 'PolicyViolation' && c.status !== 'True')
          this.violations.set(r.id, { at: now, message: c.message });
    this.ackCheckFrom = new Date(now).toISOString();
    this.lastReconciles = await this.reconcileCounts();
    this.timer = setInterval(() => void this.evaluate(), this.options.settings.evaluationIntervalMs);
    this.timer.unref();
    const metrics = this.options.metrics;
    if (metrics) {
      metrics.knownReceivers(this.options.settings.receivers.map((r) => r.name));
      this.updateGauges();
      // A scrape sees the approvals waiting now, not as of the last evaluation.
      this.unsubscribeScrape = metrics.onScrape(async () =>
        metrics.approvalsPending.set((await store.listApprovals({ state: 'pending' })).length),
      );
    }
  }

  /** Stops evaluating; waits for an evaluation in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribeScrape?.();
    await this.running;
  }

  /** One evaluation (calls never overlap). Errors are logged, never thrown. */
  evaluate(): Promise<void> {
    this.running = this.running.then(async () => {
      if (this.stopped) return;
      try {
        await this.evaluateOnce();
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message }, 'alert evaluation failed');
      }
    });
    return this.running;
  }

  private async evaluateOnce(): Promise<void> {
    const now = this.now();
    await this.sampleReconciles(now);
    const input = await this.snapshot(now);
    const candidates: Candidate[] = [];
    for (const name of RULE_NAMES) {
      const config = this.options.settings.rules[name];
      if (config.enabled) candidates.push(...BUILTIN_RULES[name](input, config));
    }
    const changed = this.advance(candidates, now);
    await this.suppress(now);
    await this.notify(now, changed);
    await this.options.store.putAlerts([...changed]);
    for (const a of [...this.alerts.values()])
      if (a.state === 'resolved' && (!a.notifiedAt || a.resolvedNotifiedAt || !a.receiver))
        this.alerts.delete(a.fingerprint);
    await this.countAcks();
    this.updateGauges();
  }

  private async snapshot(now: number): Promise<RuleInput> {
    const { store, settings } = this.options;
    const pendingApprovals = await store.listApprovals({ state: 'pending' });
    this.options.metrics?.approvalsPending.set(pendingApprovals.length);
    // The current (newest admitted) revision of each source.
    const revisions = new Map<string, RevisionRecord>();
    for (const r of await store.listRevisions({ limit: 200 }))
      if (r.admitted && !revisions.has(r.source)) revisions.set(r.source, r);
    await this.readViolations();
    // Full records only of what may need attention: reading 10,000 records every evaluation would stall serve.
    const wanted = new Set<string>([...this.violations.keys(), ...pendingApprovals.map((a) => a.resourceId)]);
    for (const source of new Set(['local', ...revisions.keys()]))
      for (const s of await store.listResourceSummaries(source))
        // Goals are read whatever their sync: one remediated but still behind is in sync and Degraded.
        if (s.declared && (s.sync !== 'InSync' || GOAL_KINDS.has(s.id.slice(0, s.id.indexOf('/')))))
          wanted.add(s.id);
    const resources = wanted.size
      ? (await store.listResources({ ids: [...wanted] })).filter((r) => r.declared)
      : [];
    this.slos = await sloStatuses(store, this.options.slos, now);
    for (const s of this.slos) {
      this.options.metrics?.sloBudgetRemaining.set({ slo: s.spec.name }, s.budget.remaining);
      for (const [window, rate] of Object.entries(s.burnRates))
        this.options.metrics?.sloBurnRate.set({ slo: s.spec.name, window }, rate);
    }
    return {
      now,
      settings,
      defaultRemediation: this.options.defaultRemediation,
      resources,
      pendingApprovals,
      revisions: [...revisions.values()],
      convergenceThresholdMs: this.options.slos.find((s) => s.sli === 'convergence')?.thresholdMs,
      violations: this.violations,
      slos: this.slos,
      sources: this.options.metrics?.sources.list() ?? [],
      nodes: (await this.options.nodes?.()) ?? [],
      nodeBehindAfterMs: this.options.nodeBehindAfterMs ?? 10 * 60_000,
    };
  }

  /** New PolicyViolation (and clearing PolicyCompliant) events since the last look. */
  private async readViolations(): Promise<void> {
    for (;;) {
      const page = await this.options.store.listEvents({ afterSeq: this.lastEventSeq, limit: 1000 });
      for (const e of page) {
        this.lastEventSeq = Math.max(this.lastEventSeq, e.seq ?? 0);
        if (!e.resourceId) continue;
        if (e.reason === 'PolicyViolation')
          this.violations.set(e.resourceId, { at: Date.parse(e.time), message: e.message });
        else if (e.reason === 'PolicyCompliant') this.violations.delete(e.resourceId);
      }
      if (page.length < 1000) return;
    }
  }

  /** Moves alerts along pending -> firing -> resolved; returns the incidents that changed. */
  private advance(candidates: readonly Candidate[], now: number): Set<AlertRecord> {
    const iso = new Date(now).toISOString();
    const changed = new Set<AlertRecord>();
    const seen = new Set<string>();
    for (const c of candidates) {
      const labels: Labels = { alertname: c.rule, ...c.labels, severity: c.severity };
      const fp = fingerprint(labels);
      if (seen.has(fp)) continue;
      seen.add(fp);
      this.subjects.set(fp, c.subject);
      const existing = this.alerts.get(fp);
      if (existing && existing.state === 'firing') {
        existing.annotations = { ...c.annotations };
        existing.lastEvaluatedAt = iso;
        changed.add(existing);
        continue;
      }
      const since = this.pending.get(fp) ?? now;
      if (now - since < c.forMs) {
        this.pending.set(fp, since);
        continue;
      }
      this.pending.delete(fp);
      // Firing again before its last resolution was notified: that resolution is moot.
      if (existing) {
        existing.resolvedNotifiedAt = existing.resolvedNotifiedAt ?? iso;
        changed.add(existing);
      }
      const alert: AlertRecord = {
        id: randomBytes(4).toString('hex'),
        fingerprint: fp,
        rule: c.rule,
        severity: c.severity,
        state: 'firing',
        labels,
        annotations: { ...c.annotations },
        activeAt: new Date(since).toISOString(),
        startsAt: iso,
        lastEvaluatedAt: iso,
        receiver: route(this.options.settings, labels),
      };
      this.alerts.set(fp, alert);
      changed.add(alert);
      this.options.metrics?.alertsFired.inc({ severity: c.severity });
      this.options.logger.warn(
        {
          alert: alert.id,
          rule: c.rule,
          severity: c.severity,
          owner: labels.owner,
          resourceId: labels.resource,
        },
        `alert firing: ${c.annotations.summary}`,
      );
    }
    for (const fp of [...this.pending.keys()]) if (!seen.has(fp)) this.pending.delete(fp);
    for (const fp of [...this.subjects.keys()]) if (!seen.has(fp)) this.subjects.delete(fp);
    for (const a of this.alerts.values()) {
      if (a.state !== 'firing' || seen.has(a.fingerprint)) continue;
      a.state = 'resolved';
      a.resolvedAt = iso;
      a.lastEvaluatedAt = iso;
      changed.add(a);
      this.options.logger.info(
        { alert: a.id, rule: a.rule, owner: a.labels.owner, resourceId: a.labels.resource },
        `alert resolved: ${a.annotations.summary}`,
      );
    }
    return changed;
  }

  /** Sets or clears `suppressedBy` of firing alerts: a matching silence, else a change window. */
  private async suppress(now: number): Promise<void> {
    const silences: SilenceRecord[] = await this.options.store.listSilences({
      activeAt: new Date(now).toISOString(),
    });
    for (const a of this.alerts.values()) {
      if (a.state !== 'firing') continue;
      const silence = silences.find((s) => matchesAll(s.matchers, a.labels));
      const window = silence
        ? undefined
        : this.options.windows?.(this.subjects.get(a.fingerprint), new Date(now));
      a.suppressedBy = silence ? `silence ${silence.id}` : window;
    }
  }

  private async notify(now: number, changed: Set<AlertRecord>): Promise<void> {
    const deliverFn = this.options.deliver ?? deliver;
    const iso = new Date(now).toISOString();
    for (const { receiver, notification } of dueNotifications(
      [...this.alerts.values()],
      this.options.settings,
      now,
    )) {
      try {
        await deliverFn(receiver, notification);
      } catch (err) {
        this.options.metrics?.alertNotifications.inc({ receiver: receiver.name, result: 'failed' });
        this.options.logger.warn(
          { receiver: receiver.name, group: notification.groupKey, err: (err as Error).message },
          'cannot notify; trying again at the next evaluation',
        );
        continue;
      }
      this.options.metrics?.alertNotifications.inc({ receiver: receiver.name, result: 'sent' });
      this.options.logger.info(
        {
          receiver: receiver.name,
          group: notification.groupKey,
          status: notification.status,
          alerts: notification.alerts.map((a) => a.id),
        },
        'notified',
      );
      for (const a of notification.alerts) {
        if (a.state === 'firing') a.notifiedAt = iso;
        else a.resolvedNotifiedAt = iso;
        changed.add(a);
      }
    }
  }

  /** Acknowledgements recorded since the last look, counted once each (M9). */
  private async countAcks(): Promise<void> {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const acked = await this.options.store.listAlerts({ ackedSince: this.ackCheckFrom });
    for (const a of acked) {
      if (!a.ack || this.countedAcks.has(a.id)) continue;
      this.countedAcks.add(a.id);
      metrics.alertAcks.inc({ severity: a.severity, actionable: String(a.ack.actionable) });
    }
  }

  private updateGauges(): void {
    const m = this.options.metrics;
    if (!m) return;
    m.alertsActive.reset();
    for (const severity of ['page', 'ticket'])
      for (const suppressed of [false, true])
        m.alertsActive.set(
          { severity, suppressed: String(suppressed) },
          [...this.alerts.values()].filter(
            (a) => a.state === 'firing' && a.severity === severity && Boolean(a.suppressedBy) === suppressed,
          ).length,
        );
  }

  /** Reconcile outcomes counted so far, by result label. */
  private async reconcileCounts(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const metric = await this.options.metrics?.reconciles.get();
    for (const v of metric?.values ?? []) out.set(String(v.labels.result), v.value);
    return out;
  }

  /** Adds the reconciles since the last evaluation to this minute's reconcile-success sample. */
  private async sampleReconciles(now: number): Promise<void> {
    if (!this.options.metrics) return;
    const counts = await this.reconcileCounts();
    let good = 0;
    let total = 0;
    for (const [result, value] of counts) {
      const delta = value - (this.lastReconciles.get(result) ?? 0);
      if (delta <= 0 || UNCOUNTED_OUTCOMES.has(result)) continue;
      total += delta;
      if (!FAILED_OUTCOMES.has(result)) good += delta;
    }
    this.lastReconciles = counts;
    if (total > 0)
      await this.options.store.addSliSamples([
        { sli: RECONCILE_SLI, minute: Math.floor(now / 60_000), good, total },
      ]);
    // Keep what the longest SLO window needs (and a day more).
    const keepMs =
      Math.max(
        0,
        ...this.options.slos.map((s) => Math.max(s.windowMs, ...s.burnRates.map((b) => b.longMs))),
      ) + 86_400_000;
    if (Math.floor(now / 60_000) % 60 === 0)
      await this.options.store.deleteSliSamples(Math.floor((now - keepMs) / 60_000));
  }
}
