/**
 * What a built-in rule sees and what it yields. A rule is a pure function of
 * one snapshot of the state (resources, approvals, the current revision,
 * recent policy violations, SLO burn rates): it returns the alerts whose
 * condition holds now. The evaluator turns those into incidents (pending ->
 * firing -> resolved), deduplicated by fingerprint.
 */
import type { AlertSeverity } from '../../store/alerts.js';
import type { ApprovalRecord, ResourceRecord, RevisionRecord } from '../../store/index.js';
import type { SloStatus } from '../slo/status.js';
import type { SourceFetchHealth } from '../source-health.js';
import type { Labels } from './labels.js';
import type { AlertSettings, RuleConfig, RuleName } from './schema.js';

/** What change windows need to know about the resource an alert is about. */
export interface AlertSubject {
  kind: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  priority?: 'critical' | 'high' | 'normal' | 'low';
}

/** An alert whose condition holds now. */
export interface Candidate {
  rule: RuleName;
  severity: AlertSeverity;
  /** Identifying labels besides alertname and severity; always `owner`. */
  labels: Labels;
  annotations: { summary: string; description?: string };
  /** How long the condition must hold before it fires. */
  forMs: number;
  /** The resource it is about: change windows over it suppress its notifications. */
  subject?: AlertSubject;
}

/** A policy violation seen as a PolicyViolation event. */
export interface ViolationSeen {
  at: number;
  message: string;
}

/** An enrolled node as the fleet rules see it. */
export interface NodeSeen {
  name: string;
  labels: Readonly<Record<string, string>>;
  lastSeenAt?: string;
  appliedRevision?: string;
  /** Its agent holds an older set than the current one. */
  behind: boolean;
  /** No report for 3 check intervals (never true for a revoked node). */
  offline: boolean;
}

export interface RuleInput {
  now: number;
  settings: AlertSettings;
  /** The project's `defaults.remediation`. */
  defaultRemediation: 'auto' | 'alert' | 'approve';
  /**
   * Records of the declared resources that may need attention: not in sync,
   * violating a policy, or waiting for an approval (in-sync ones are not read).
   */
  resources: readonly ResourceRecord[];
  pendingApprovals: readonly ApprovalRecord[];
  /** The current (newest admitted) revision of each source. */
  revisions: readonly RevisionRecord[];
  /** Threshold of the first convergence SLO, if any. */
  convergenceThresholdMs?: number;
  /** By resource id: the latest PolicyViolation event. */
  violations: ReadonlyMap<string, ViolationSeen>;
  slos: readonly SloStatus[];
  /** Fetch health of the polled sources (serve's; none when nothing reports fetches). */
  sources: readonly SourceFetchHealth[];
  /** Enrolled, unrevoked nodes (none outside serve or without a fleet). */
  nodes: readonly NodeSeen[];
  /** `fleet.behindAfter`: NodeBehind's default `for`. */
  nodeBehindAfterMs: number;
}

export type Rule = (input: RuleInput, config: RuleConfig) => Candidate[];

/** The `owner` label of a resource's alerts. */
export function ownerOf(record: Pick<ResourceRecord, 'labels'>, settings: AlertSettings): string {
  return record.labels.owner || settings.defaultOwner;
}

/** Labels and subject of an alert about one resource. */
export function resourceAlert(
  record: ResourceRecord,
  settings: AlertSettings,
): { labels: Labels; subject: AlertSubject } {
  return {
    labels: {
      owner: ownerOf(record, settings),
      resource: record.id,
      kind: record.kind,
      namespace: record.namespace,
    },
    subject: {
      kind: record.kind,
      namespace: record.namespace,
      labels: record.labels,
      priority: record.lifecycle.priority,
    },
  };
}

/** "3 resources (File/web/a, File/web/b and 1 more)". */
export function listIds(ids: readonly string[], max = 3): string {
  const shown = ids.slice(0, max);
  const rest = ids.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
