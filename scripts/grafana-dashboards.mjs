// Writes the Grafana dashboards in deploy/grafana/ (executive, on-call, debug)
// from the panel lists below: `node scripts/grafana-dashboards.mjs`. Every
// expression uses setpoint's own metrics (setpoint_*, and the process_* and
// nodejs_* every Prometheus client exports; a test checks each name against
// src/telemetry/metrics.ts) and `up`, so the dashboards work without the
// recording rules of deploy/prometheus/. Variables pick the job and the
// instances; time series are drawn per instance, stats sum the selection.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// An output folder may be given (the test regenerates into a temp folder and compares).
const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'grafana');
const DS = { type: 'prometheus', uid: '${datasource}' };
const JOB = 'job=~"$job",instance=~"$instance"';

/**
 * A time series per instance: every aggregation keeps the instance label,
 * and the legend names it, so one host's trouble is not averaged away.
 */
function perInstance([expr, legend]) {
  const by = expr
    .replace(/\b(sum|max|min|count) by \(([^)]*)\)/g, '$1 by (instance, $2)')
    .replace(/\b(sum|max|min|count)\(/g, '$1 by (instance) (');
  return [by, `{{instance}} ${legend}`];
}

/** A panel: kind timeseries|stat|gauge|heatmap|bargauge; targets [[expr, legend]]. */
function panel(
  kind,
  title,
  description,
  targets,
  { unit = 'short', w = 8, h = 8, min, max, thresholds, stacked } = {},
) {
  return { kind, title, description, targets, unit, w, h, min, max, thresholds, stacked };
}

const q = (s) => s.replaceAll('$J', JOB);

const executive = {
  uid: 'setpoint-executive',
  title: 'setpoint / executive',
  description:
    'The headline figures over the selected range: is desired state being kept, how fast, at what cost.',
  panels: [
    panel(
      'stat',
      'Convergence time p95',
      'Admission of a revision to every resource in sync.',
      [
        [
          q(
            'histogram_quantile(0.95, sum by (le) (rate(setpoint_revision_convergence_seconds_bucket{$J}[$__range])))',
          ),
          'p95',
        ],
      ],
      { unit: 's', w: 6, thresholds: [60, 300] },
    ),
    panel(
      'stat',
      'Drift ratio',
      'Share of managed resources drifted now.',
      [[q('max(setpoint_drift_ratio{$J})'), 'drifted']],
      { unit: 'percentunit', w: 6, thresholds: [0.01, 0.1] },
    ),
    panel(
      'stat',
      'Reconcile success',
      'Reconciles that did not fail (error, terminal, failed-retry).',
      [
        [
          q(
            '1 - sum(increase(setpoint_reconciles_total{$J,result=~"error|terminal|failed-retry"}[$__range])) / sum(increase(setpoint_reconciles_total{$J,result!~"forgotten|held"}[$__range]))',
          ),
          'success',
        ],
      ],
      { unit: 'percentunit', w: 6, min: 0, max: 1 },
    ),
    panel(
      'stat',
      'Remediation latency p95',
      'Drift recorded to fix done.',
      [
        [
          q(
            'histogram_quantile(0.95, sum by (le) (rate(setpoint_remediation_latency_seconds_bucket{$J}[$__range])))',
          ),
          'p95',
        ],
      ],
      { unit: 's', w: 6, thresholds: [0.1, 1] },
    ),
    panel(
      'stat',
      'Auto-remediation ratio',
      'Drift episodes repaired automatically / drift episodes.',
      [
        [
          q(
            'sum(increase(setpoint_remediations_total{$J,mode="auto"}[$__range])) / sum(increase(setpoint_drift_events_total{$J}[$__range]))',
          ),
          'auto',
        ],
      ],
      { unit: 'percentunit', w: 6, min: 0, max: 1 },
    ),
    panel(
      'stat',
      'Policy violations',
      'Violations by action over the range.',
      [[q('sum by (action) (increase(setpoint_policy_violations_total{$J}[$__range]))'), '{{action}}']],
      { w: 6 },
    ),
    panel(
      'stat',
      'Alert noise',
      'Acknowledged alerts marked as noise / acknowledged alerts.',
      [
        [
          q(
            'sum(increase(setpoint_alert_acknowledgements_total{$J,actionable="false"}[$__range])) / sum(increase(setpoint_alert_acknowledgements_total{$J}[$__range]))',
          ),
          'noise',
        ],
      ],
      { unit: 'percentunit', w: 6, thresholds: [0.2, 0.5] },
    ),
    panel(
      'stat',
      'Change lead time p50',
      'Commit time to the revision converged.',
      [
        [
          q(
            'histogram_quantile(0.5, sum by (le) (rate(setpoint_change_lead_time_seconds_bucket{$J}[$__range])))',
          ),
          'p50',
        ],
      ],
      { unit: 's', w: 6 },
    ),
    panel(
      'bargauge',
      'SLO error budget left',
      'Per SLO of setpoint.yaml, over its window.',
      [[q('min by (slo) (setpoint_slo_error_budget_remaining_ratio{$J})'), '{{slo}}']],
      { unit: 'percentunit', w: 12, min: 0, max: 1, thresholds: [0.25, 0.5] },
    ),
    panel(
      'timeseries',
      'Convergence time',
      'p50 and p95 over time.',
      [
        [
          q(
            'histogram_quantile(0.5, sum by (le) (rate(setpoint_revision_convergence_seconds_bucket{$J}[1h])))',
          ),
          'p50',
        ],
        [
          q(
            'histogram_quantile(0.95, sum by (le) (rate(setpoint_revision_convergence_seconds_bucket{$J}[1h])))',
          ),
          'p95',
        ],
      ],
      { unit: 's', w: 12 },
    ),
    panel(
      'timeseries',
      'Drifted resources by kind',
      'Resources drifted now, by kind.',
      [[q('sum by (kind) (setpoint_drifted_resources{$J})'), '{{kind}}']],
      { w: 12, stacked: true },
    ),
    panel(
      'timeseries',
      'Change lead time',
      'Commit to converged.',
      [
        [
          q('histogram_quantile(0.5, sum by (le) (rate(setpoint_change_lead_time_seconds_bucket{$J}[6h])))'),
          'p50',
        ],
        [
          q('histogram_quantile(0.95, sum by (le) (rate(setpoint_change_lead_time_seconds_bucket{$J}[6h])))'),
          'p95',
        ],
      ],
      { unit: 's', w: 12 },
    ),
  ],
};

const oncall = {
  uid: 'setpoint-oncall',
  title: 'setpoint / on-call',
  description: 'What is wrong now and since when: alerts, failing reconciles, drift, queue, burn rates.',
  panels: [
    panel(
      'stat',
      'Alerts firing',
      'By severity; suppressed ones are in a silence or a change window.',
      [
        [
          q('sum by (severity, suppressed) (setpoint_alerts_active{$J})'),
          '{{severity}} (suppressed={{suppressed}})',
        ],
      ],
      { w: 8, thresholds: [1, 1] },
    ),
    panel(
      'stat',
      'Work queue depth',
      'Resources waiting to be reconciled.',
      [[q('sum(setpoint_workqueue_depth{$J})'), 'queued']],
      { w: 4, thresholds: [100, 1000] },
    ),
    panel(
      'stat',
      'Drift ratio',
      'Share of managed resources drifted now.',
      [[q('max(setpoint_drift_ratio{$J})'), 'drifted']],
      { unit: 'percentunit', w: 4, thresholds: [0.01, 0.1] },
    ),
    panel(
      'stat',
      'Managed resources',
      'In the admitted desired state.',
      [[q('sum(setpoint_managed_resources{$J})'), 'resources']],
      { w: 4 },
    ),
    panel(
      'stat',
      'Up',
      'Instances Prometheus scrapes successfully (up == 1) among the selected ones.',
      [[q('sum(up{$J})'), 'instances up']],
      { w: 4 },
    ),
    panel(
      'timeseries',
      'Up per instance',
      'Liveness as Prometheus sees it: 1 when the scrape of /metrics succeeds, 0 when serve is down or unreachable.',
      [[q('up{$J}'), 'up']],
      { w: 8, min: 0, max: 1 },
    ),
    panel(
      'timeseries',
      'Reconcile errors by reason',
      'Failed reconciles per second, by error code.',
      [[q('sum by (reason) (rate(setpoint_reconcile_errors_total{$J}[$__rate_interval]))'), '{{reason}}']],
      { unit: 'ops', w: 12 },
    ),
    panel(
      'timeseries',
      'Reconciles by result',
      'Per second.',
      [
        [
          q('sum by (result) (rate(setpoint_reconciles_total{$J,result!="noop"}[$__rate_interval]))'),
          '{{result}}',
        ],
      ],
      { unit: 'ops', w: 12, stacked: true },
    ),
    panel(
      'timeseries',
      'SLO burn rates',
      '1 = spending exactly the budget; paging thresholds 14.4 (1h) and 6 (6h).',
      [
        [
          q('max by (slo, window) (setpoint_slo_burn_rate_ratio{$J,window=~"5m|1h|6h"})'),
          '{{slo}} {{window}}',
        ],
      ],
      { w: 12 },
    ),
    panel(
      'timeseries',
      'Remediation latency',
      'Drift recorded to fix done, p50/p95.',
      [
        [
          q(
            'histogram_quantile(0.5, sum by (le) (rate(setpoint_remediation_latency_seconds_bucket{$J}[$__rate_interval])))',
          ),
          'p50',
        ],
        [
          q(
            'histogram_quantile(0.95, sum by (le) (rate(setpoint_remediation_latency_seconds_bucket{$J}[$__rate_interval])))',
          ),
          'p95',
        ],
      ],
      { unit: 's', w: 12 },
    ),
    panel(
      'timeseries',
      'Drift events and repairs',
      'Per minute, by kind and mode.',
      [
        [q('sum by (kind) (rate(setpoint_drift_events_total{$J}[$__rate_interval])) * 60'), 'drift {{kind}}'],
        [
          q('sum by (kind, mode) (rate(setpoint_remediations_total{$J}[$__rate_interval])) * 60'),
          'repaired {{kind}} ({{mode}})',
        ],
      ],
      { unit: 'short', w: 12 },
    ),
    panel(
      'timeseries',
      'Policy violations',
      'Per policy and action, per hour.',
      [
        [
          q('sum by (policy, action) (rate(setpoint_policy_violations_total{$J}[15m])) * 3600'),
          '{{policy}} ({{action}})',
        ],
      ],
      { w: 12 },
    ),
    panel(
      'timeseries',
      'Alert notifications',
      'Sent and failed, per receiver.',
      [
        [
          q('sum by (receiver, result) (increase(setpoint_alert_notifications_total{$J}[15m]))'),
          '{{receiver}} {{result}}',
        ],
      ],
      { w: 12 },
    ),
    panel(
      'timeseries',
      'Alerts fired and acknowledged',
      'Incidents fired per day by severity; acknowledgements by verdict.',
      [
        [q('sum by (severity) (increase(setpoint_alerts_fired_total{$J}[1d]))'), 'fired {{severity}}'],
        [
          q('sum by (actionable) (increase(setpoint_alert_acknowledgements_total{$J}[1d]))'),
          'acked actionable={{actionable}}',
        ],
      ],
      { w: 12 },
    ),
    panel(
      'timeseries',
      'Sources: time since last successful fetch',
      'Per polled (Git) source; SetpointSourceStale fires after 3 intervals. Failed fetches per 15 minutes.',
      [
        [
          q('time() - max by (source) (setpoint_source_last_success_timestamp_seconds{$J} > 0)'),
          '{{source}} since last fetch',
        ],
        [
          q('sum by (source) (increase(setpoint_source_fetch_failures_total{$J}[15m]))'),
          '{{source}} failures',
        ],
      ],
      { unit: 's', w: 12 },
    ),
    panel(
      'timeseries',
      'Approvals pending',
      'Proposed actions waiting for `setpoint approve` or `setpoint reject`.',
      [[q('sum(setpoint_approvals_pending{$J})'), 'pending']],
      { w: 12 },
    ),
  ],
};

const debug = {
  uid: 'setpoint-debug',
  title: 'setpoint / debug',
  description: 'Inside the controller: queue, workers, reconcile and provider timings, watches, the process.',
  panels: [
    panel(
      'timeseries',
      'Queue depth and in flight',
      'Keys waiting, keys being reconciled.',
      [
        [q('sum(setpoint_workqueue_depth{$J})'), 'queued'],
        [q('sum(setpoint_workqueue_in_flight{$J})'), 'in flight'],
      ],
      { w: 12 },
    ),
    panel(
      'timeseries',
      'Queue adds by trigger',
      'user (CLI/API), event (watch), resync.',
      [[q('sum by (trigger) (rate(setpoint_workqueue_adds_total{$J}[$__rate_interval]))'), '{{trigger}}']],
      { unit: 'ops', w: 12, stacked: true },
    ),
    panel(
      'timeseries',
      'Queue wait',
      'Time a key waited before a worker took it.',
      [
        [
          q(
            'histogram_quantile(0.5, sum by (le) (rate(setpoint_workqueue_wait_seconds_bucket{$J}[$__rate_interval])))',
          ),
          'p50',
        ],
        [
          q(
            'histogram_quantile(0.99, sum by (le) (rate(setpoint_workqueue_wait_seconds_bucket{$J}[$__rate_interval])))',
          ),
          'p99',
        ],
      ],
      { unit: 's', w: 8 },
    ),
    panel(
      'timeseries',
      'Work duration',
      'Time a worker held a key.',
      [
        [
          q(
            'histogram_quantile(0.5, sum by (le) (rate(setpoint_workqueue_work_seconds_bucket{$J}[$__rate_interval])))',
          ),
          'p50',
        ],
        [
          q(
            'histogram_quantile(0.99, sum by (le) (rate(setpoint_workqueue_work_seconds_bucket{$J}[$__rate_interval])))',
          ),
          'p99',
        ],
      ],
      { unit: 's', w: 8 },
    ),
    panel(
      'timeseries',
      'Retries',
      'Keys re-queued with backoff after a failure.',
      [[q('sum(rate(setpoint_workqueue_retries_total{$J}[$__rate_interval]))'), 'retries']],
      { unit: 'ops', w: 8 },
    ),
    panel(
      'heatmap',
      'Reconcile duration',
      'Distribution of reconcile durations.',
      [
        [
          q('sum by (le) (increase(setpoint_reconcile_duration_seconds_bucket{$J}[$__rate_interval]))'),
          '{{le}}',
        ],
      ],
      { unit: 's', w: 12 },
    ),
    panel(
      'timeseries',
      'Drift detection latency by kind',
      'Change seen (watch event) to drift recorded, p95.',
      [
        [
          q(
            'histogram_quantile(0.95, sum by (le, kind) (rate(setpoint_drift_detection_latency_seconds_bucket{$J}[$__rate_interval])))',
          ),
          '{{kind}}',
        ],
      ],
      { unit: 's', w: 12 },
    ),
    panel(
      'timeseries',
      'Actions by kind, operation and result',
      'Per second.',
      [
        [
          q('sum by (kind, op, result) (rate(setpoint_actions_total{$J}[$__rate_interval]))'),
          '{{kind}} {{op}} {{result}}',
        ],
      ],
      { unit: 'ops', w: 12 },
    ),
    panel(
      'timeseries',
      'Revisions and watch overflows',
      'Revisions admitted/refused; watches that broke (each forces a resync).',
      [
        [q('sum by (result) (increase(setpoint_revisions_total{$J}[15m]))'), 'revisions {{result}}'],
        [q('sum by (kind) (increase(setpoint_watch_overflows_total{$J}[15m]))'), 'overflow {{kind}}'],
      ],
      { w: 12 },
    ),
    panel(
      'timeseries',
      'CPU',
      'Controller CPU, cores.',
      [
        [q('sum(rate(process_cpu_user_seconds_total{$J}[$__rate_interval]))'), 'user'],
        [q('sum(rate(process_cpu_system_seconds_total{$J}[$__rate_interval]))'), 'system'],
      ],
      { unit: 'short', w: 8, stacked: true },
    ),
    panel(
      'timeseries',
      'Memory',
      'Resident set and V8 heap.',
      [
        [q('sum(process_resident_memory_bytes{$J})'), 'resident'],
        [q('sum(nodejs_heap_size_used_bytes{$J})'), 'heap used'],
      ],
      { unit: 'bytes', w: 8 },
    ),
    panel(
      'timeseries',
      'Event loop lag',
      'p99 lag of the Node.js event loop; high values delay every watch and reconcile.',
      [[q('max(nodejs_eventloop_lag_p99_seconds{$J})'), 'p99']],
      { unit: 's', w: 8 },
    ),
  ],
};

/** Grafana dashboard JSON (schema 39) with datasource, job and instance variables. */
function dashboard(d) {
  let x = 0;
  let y = 0;
  let rowH = 0;
  const panels = d.panels.map((p, i) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const gridPos = { x, y, w: p.w, h: p.h };
    x += p.w;
    rowH = Math.max(rowH, p.h);
    const steps = [{ color: 'green', value: null }];
    if (p.thresholds)
      steps.push({ color: 'orange', value: p.thresholds[0] }, { color: 'red', value: p.thresholds[1] });
    return {
      id: i + 1,
      type: p.kind,
      title: p.title,
      description: p.description,
      datasource: DS,
      gridPos,
      targets: (p.kind === 'timeseries' ? p.targets.map(perInstance) : p.targets).map(
        ([expr, legendFormat], j) => ({
          datasource: DS,
          expr,
          legendFormat,
          refId: String.fromCharCode(65 + j),
        }),
      ),
      fieldConfig: {
        defaults: {
          unit: p.unit,
          ...(p.min !== undefined ? { min: p.min } : {}),
          ...(p.max !== undefined ? { max: p.max } : {}),
          thresholds: { mode: 'absolute', steps },
          ...(p.kind === 'timeseries'
            ? {
                custom: {
                  fillOpacity: p.stacked ? 30 : 10,
                  stacking: { mode: p.stacked ? 'normal' : 'none' },
                },
              }
            : {}),
        },
        overrides: [],
      },
      options:
        p.kind === 'stat'
          ? { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value' }
          : p.kind === 'timeseries'
            ? { legend: { displayMode: 'list', placement: 'bottom' } }
            : {},
    };
  });
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['setpoint'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-24h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' },
        {
          name: 'job',
          label: 'Job',
          type: 'query',
          datasource: DS,
          query: 'label_values(setpoint_build_info, job)',
          includeAll: true,
          multi: true,
          current: { text: 'All', value: '$__all' },
          allValue: '.*',
        },
        {
          name: 'instance',
          label: 'Instance',
          type: 'query',
          datasource: DS,
          query: 'label_values(setpoint_build_info{job=~"$job"}, instance)',
          includeAll: true,
          multi: true,
          current: { text: 'All', value: '$__all' },
          allValue: '.*',
          refresh: 2,
        },
      ],
    },
    links: [
      { title: 'setpoint / executive', type: 'link', url: '/d/setpoint-executive' },
      { title: 'setpoint / on-call', type: 'link', url: '/d/setpoint-oncall' },
      { title: 'setpoint / debug', type: 'link', url: '/d/setpoint-debug' },
    ],
    panels,
  };
}

for (const [file, d] of [
  ['setpoint-executive.json', executive],
  ['setpoint-oncall.json', oncall],
  ['setpoint-debug.json', debug],
])
  writeFileSync(join(out, file), JSON.stringify(dashboard(d), null, 2) + '\n');
