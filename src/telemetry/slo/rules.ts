/**
 * Prometheus rules generated from `slos:`, so the objectives, thresholds and
 * burn-rate factors of the rules Prometheus evaluates are the ones
 * setpoint.yaml declares. Per SLO: a recording rule of the error ratio over
 * each window it needs, a multi-window burn-rate alert per pair of
 * `burnRates` (`SetpointSLOBurnRate`), and `SetpointSLOErrorBudgetExhausted`
 * over the compliance window (the condition an error-budget gate holds on).
 * SLIs of setpoint itself read its own metrics, per process (job, instance,
 * node); `sli: prometheus` SLOs use their own good/total queries.
 */
import { lazy } from '../../util/lazy.js';
import { LATENCY_BUCKETS, SLOW_BUCKETS } from '../metrics.js';
import { WINDOW_PLACEHOLDER, type SloSpec } from './schema.js';
import { windowName } from './window-name.js';

// Only the rules' file needs a YAML writer: serve (and every agent) loads this module without it.
const yaml = lazy<typeof import('yaml')>('yaml');

const BY = 'sum by (job, instance, node)';
const RUNBOOK = 'https://github.com/setpoint-dev/setpoint/blob/main/docs/goals.md#error-budget-gates';

interface RecordingRule {
  record: string;
  expr: string;
}
interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface GeneratedRules {
  /** The rules file, YAML, with a header saying where it came from. */
  yaml: string;
  groups: Array<{ name: string; rules: Array<RecordingRule | AlertRule> }>;
  /** Problems worth a comment (a latency threshold that is no histogram bucket). */
  warnings: string[];
}

/** The error ratio (bad / all) of an SLO's SLI over `range` ("1h"), as PromQL. */
export function errorRatioExpr(spec: SloSpec, range: string): string {
  switch (spec.sli) {
    case 'reconcile-success':
      return `${BY} (rate(setpoint_reconciles_total{result=~"error|terminal|failed-retry"}[${range}])) / ${BY} (rate(setpoint_reconciles_total{result!~"forgotten|held"}[${range}]))`;
    case 'convergence':
      return `1 - ${BY} (rate(setpoint_revision_convergence_seconds_bucket{le="${le(spec)}"}[${range}])) / ${BY} (rate(setpoint_revision_convergence_seconds_count[${range}]))`;
    case 'remediation':
      return `1 - ${BY} (rate(setpoint_remediation_latency_seconds_bucket{le="${le(spec)}"}[${range}])) / ${BY} (rate(setpoint_remediation_latency_seconds_count[${range}]))`;
    case 'prometheus': {
      const q = (s: string) => s.split(WINDOW_PLACEHOLDER).join(range);
      return `1 - (${q(spec.prometheus!.good)}) / (${q(spec.prometheus!.total)})`;
    }
  }
}

function le(spec: SloSpec): string {
  return String((spec.thresholdMs ?? 0) / 1000);
}

function bucketWarning(spec: SloSpec): string | undefined {
  if (spec.sli !== 'convergence' && spec.sli !== 'remediation') return undefined;
  const buckets = spec.sli === 'convergence' ? SLOW_BUCKETS : LATENCY_BUCKETS;
  const seconds = (spec.thresholdMs ?? 0) / 1000;
  if (buckets.includes(seconds)) return undefined;
  return `SLO ${spec.name}: threshold ${seconds}s is not a bucket of its histogram (${buckets.join(', ')}); Prometheus cannot count it exactly — pick one of those`;
}

function recordName(spec: SloSpec, range: string): string {
  return `slo:${spec.name.replace(/[^a-zA-Z0-9_]/g, '_')}:error_ratio:rate${range}`;
}

/** The budget share a ratio may use: 1 - objective, written as PromQL does. */
function allowed(spec: SloSpec): string {
  return String(+(1 - spec.objective).toPrecision(6));
}

export function prometheusRules(slos: readonly SloSpec[], defaultOwner = 'platform'): GeneratedRules {
  const groups: GeneratedRules['groups'] = [];
  const warnings: string[] = [];
  for (const spec of slos) {
    const warning = bucketWarning(spec);
    if (warning) warnings.push(warning);
    const ranges = [...new Set([spec.windowMs, ...spec.burnRates.flatMap((b) => [b.shortMs, b.longMs])])]
      .sort((a, b) => a - b)
      .map(windowName);
    const rules: Array<RecordingRule | AlertRule> = ranges.map((range) => ({
      record: recordName(spec, range),
      expr: errorRatioExpr(spec, range),
    }));
    const goal = `${+(spec.objective * 100).toFixed(4)}%`;
    const labels = { slo: spec.name, owner: spec.owner ?? defaultOwner };
    for (const b of spec.burnRates) {
      const long = windowName(b.longMs);
      const short = windowName(b.shortMs);
      rules.push({
        alert: 'SetpointSLOBurnRate',
        expr: `${recordName(spec, long)} > (${b.factor} * ${allowed(spec)}) and ${recordName(spec, short)} > (${b.factor} * ${allowed(spec)})`,
        labels: { ...labels, severity: b.severity, window: `${long}/${short}` },
        annotations: {
          summary: `SLO ${spec.name} burns its error budget more than ${b.factor}x too fast over ${long} and ${short}`,
          description: `{{ $value | humanizePercentage }} of events are bad over ${long} (objective: ${goal} good over ${windowName(spec.windowMs)}).`,
          runbook_url: RUNBOOK,
        },
      });
    }
    const window = windowName(spec.windowMs);
    rules.push({
      alert: 'SetpointSLOErrorBudgetExhausted',
      expr: `${recordName(spec, window)} > ${allowed(spec)}`,
      labels: { ...labels, severity: 'ticket' },
      annotations: {
        summary: `SLO ${spec.name} has spent its ${window} error budget`,
        description: `{{ $value | humanizePercentage }} of events were bad over ${window}; the objective allows ${allowed(spec)}.${spec.gate ? ' Its error-budget gate holds changes until it recovers.' : ''}`,
        runbook_url: RUNBOOK,
      },
    });
    groups.push({ name: `setpoint-slo-${spec.name}`, rules });
  }
  const header = [
    '# Prometheus rules generated by `setpoint slo rules` from the slos: of setpoint.yaml.',
    '# Regenerate after changing the SLOs; load with rule_files: [this file].',
    ...warnings.map((w) => `# WARNING: ${w}`),
  ].join('\n');
  return { yaml: `${header}\n${yaml().stringify({ groups }, { lineWidth: 0 })}`, groups, warnings };
}
