/** The shapes of the API answers the dashboard reads (a subset of /openapi.json). */
export type Role = 'viewer' | 'operator' | 'approver' | 'admin';

export interface Whoami {
  version: string;
  namespace: string;
  revision?: string;
  token: { name: string; role: Role; namespaces: string[] };
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface Change {
  path: string;
  op?: string;
  old?: unknown;
  new?: unknown;
  from?: unknown;
  to?: unknown;
}

export interface ResourceRecord {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  source: string;
  labels: Record<string, string>;
  spec: unknown;
  lifecycle: { remediation?: string; priority?: string; prune?: boolean };
  dependsOn: string[];
  origin?: string;
  sync: string;
  health: string;
  healthMessage?: string;
  driftedSince?: string;
  drift?: Change[];
  conditions: Condition[];
  attempts: number;
  lastError?: string;
  updatedAt: string;
  lastAppliedRevision?: string;
  lastAppliedAt?: string;
  approvalId?: string;
  held?: { reason: string; message: string; since: string; until?: string };
}

/** One row of the live resource table. */
export interface Row {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  sync: string;
  health: string;
  message?: string;
  /** When it entered its current sync state, as far as we know. */
  since: string;
  revision?: string;
  priority?: string;
  dependsOn: string[];
}

export interface EventRecord {
  seq?: number;
  time: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  resourceId?: string;
  revisionId?: string;
}

export interface Approval {
  id: string;
  resourceId: string;
  revisionId?: string;
  op: string;
  reason: string;
  destructive: boolean;
  changes: Change[];
  state: string;
  createdAt: string;
  /** A fleet approval: the enrolled nodes that proposed it, one target each. */
  fleet?: { targets: Array<{ node: string; state: string; decidedBy?: string }> };
}

export interface Alert {
  id: string;
  rule: string;
  severity: string;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  suppressedBy?: string;
  ack?: { actionable: boolean; by: string; at: string; comment?: string };
}

export interface Percentiles {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export interface Slo {
  spec: { name: string; description?: string; sli: string; objective: number; windowMs: number };
  budget: { good: number; total: number; sli?: number; allowedBad: number; bad: number; remaining: number };
  burnRates: Record<string, number>;
  firing: Array<{ longRate: number; shortRate: number }>;
}

export interface StatusAnswer {
  serve: {
    revision?: string;
    queueDepth: number;
    processing: number;
    watches: number;
    startedAt: string;
    degraded: Array<{ message: string }>;
    leadership?: Leadership;
  } | null;
  store?: 'sqlite' | 'postgres';
  convergence: {
    revisions: Array<{ id: string; admittedAt: string; convergedAt?: string; convergenceSeconds?: number }>;
    driftEpisodes: number;
    detectionMs: Percentiles;
    remediationMs: Percentiles;
    autoRemediationRatio?: number;
    driftRatio?: number;
  };
  slos: Slo[];
}

export interface DriftTrend {
  from: string;
  to: string;
  resources: number;
  points: Array<{ time: string; drifted: number; ratio: number }>;
  revisions: Array<{ id: string; admittedAt: string; convergedAt?: string; convergenceSeconds?: number }>;
}

export interface PolicyListing {
  policies: Array<{ name: string; id: string; action: string; description?: string; violations?: number }>;
  totals: Array<{ policy: string; action: string; count: number; blocked: number; last: string }>;
  violations: Array<{ policy: string; action: string; resourceId: string; message: string; time: string }>;
}

export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  action: string;
  resourceId?: string;
  revisionId?: string;
  result: string;
  diffDigest?: string;
  detail?: Record<string, unknown>;
}

export type PhaseName = 'observe' | 'diff' | 'plan' | 'act' | 'verify';

export interface ReconcileSpan {
  id?: number;
  resourceId: string;
  reconcileId: string;
  traceId?: string;
  spanId?: string;
  traceUrl?: string;
  revisionId?: string;
  action?: string;
  outcome: string;
  startedAt: string;
  durationMs: number;
  phases: Array<{ name: PhaseName; startMs: number; durationMs: number; error?: string }>;
  error?: string;
}

export interface ResourceFate {
  id: string;
  exists: boolean;
  lastSeen?: string;
  deletion?: { at: string; action: string; actor: string; revisionId?: string; result: string };
}

export interface CriticalConvergence {
  from: string;
  to: string;
  rule: string;
  items: Array<{
    id: string;
    sync: string;
    convergenceMs: Percentiles;
    driftingSince?: string;
    lastDetectedAt?: string;
  }>;
}

export interface Leadership {
  role: 'leader' | 'follower';
  replica: string;
  leader?: string;
  term?: number;
  leaseExpiresAt?: string;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  enrolledAt: string;
  lastSeenAt?: string;
  agentVersion?: string;
  appliedDigest?: string;
  desiredDigest?: string;
  counts: { total: number; inSync: number; drifted: number; failed: number };
  behind: boolean;
  offline: boolean;
  revokedAt?: string;
}

export interface GoalResult {
  key: string;
  state: 'MeetsTarget' | 'BehindTarget';
  value: number;
  threshold: number;
  direction: string;
  unit?: string;
  gap: number;
  trend: { perDay: number; direction: 'improving' | 'worsening' | 'flat'; samples: number; spanMs: number };
  timeLeftMs?: number;
  etaMs?: number;
  readAt: string;
}

export interface GoalStatus {
  id: string;
  kind: 'Target' | 'Objective';
  namespace: string;
  name: string;
  description?: string;
  owner?: string;
  deadline?: string;
  sync: string;
  health: string;
  message?: string;
  state?: 'MeetsTarget' | 'BehindTarget';
  met: number;
  total: number;
  timeLeftMs?: number;
  results: GoalResult[];
}
