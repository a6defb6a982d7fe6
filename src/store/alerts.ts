/**
 * What the store keeps for alerting (migration 5): alert incidents with
 * their notification and acknowledgement state, maintenance silences, and
 * per-minute SLI samples for SLOs whose events are not otherwise recorded.
 */

export type AlertSeverity = 'page' | 'ticket';

/** firing: the condition holds (notified unless suppressed); resolved: it stopped holding. */
export type AlertState = 'firing' | 'resolved';

/** "Was this alert worth someone's attention?", recorded by `setpoint alerts ack`. */
export interface AlertAck {
  by: string;
  at: string;
  actionable: boolean;
  comment?: string;
}

/** One incident: an alert (identified by its fingerprint) from firing to resolved. */
export interface AlertRecord {
  /** The incident id (8 hex characters): a fingerprint that fires again later is a new incident. */
  id: string;
  /** Hash of the rule name and labels: equal fingerprints are the same alert. */
  fingerprint: string;
  rule: string;
  severity: AlertSeverity;
  state: AlertState;
  /** Includes `alertname` (the rule), `owner` and `severity`. */
  labels: Record<string, string>;
  /** summary (one sentence), description. */
  annotations: Record<string, string>;
  /** When the condition was first seen. */
  activeAt: string;
  /** When it started firing (after the rule's `for`). */
  startsAt: string;
  resolvedAt?: string;
  lastEvaluatedAt: string;
  /** Why notifications are held back now: "silence 3f2a9c1e", "window weekend-freeze". */
  suppressedBy?: string;
  /** The receiver it is routed to; undefined: no route matches. */
  receiver?: string;
  /** Last firing notification sent for it. */
  notifiedAt?: string;
  /** When its resolution was notified (only alerts notified as firing get one). */
  resolvedNotifiedAt?: string;
  ack?: AlertAck;
}

export interface AlertFilter {
  states?: AlertState[];
  /** Incidents that started at or after this time. */
  since?: string;
  /** Incidents acknowledged at or after this time. */
  ackedSince?: string;
  /** The newest N. Defaults to 1000. */
  limit?: number;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Holds back notifications of alerts whose labels match all matchers, from startsAt to endsAt. */
export interface SilenceRecord {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  createdAt: string;
  comment: string;
  /** Set by `silence expire`: endsAt was moved to then. */
  expiredBy?: string;
}

/** Good and total events of one SLI in one minute (minute = epoch ms / 60000, floored). */
export interface SliSample {
  sli: string;
  minute: number;
  good: number;
  total: number;
}

/** The alerting part of the store contract. */
export interface AlertStore {
  /** Inserts or replaces incidents; their acknowledgements are left as they are. */
  putAlerts(alerts: readonly AlertRecord[]): Promise<void>;
  /** Newest first. */
  listAlerts(filter?: AlertFilter): Promise<AlertRecord[]>;
  /** By id or unique id prefix. */
  getAlert(id: string): Promise<AlertRecord | undefined>;
  ackAlert(id: string, ack: AlertAck): Promise<void>;
  putSilence(silence: SilenceRecord): Promise<void>;
  /** By id or unique id prefix. */
  getSilence(id: string): Promise<SilenceRecord | undefined>;
  /** Every silence, or only those in force at `activeAt`; newest first. */
  listSilences(options?: { activeAt?: string }): Promise<SilenceRecord[]>;
  /** Adds to the samples of the same SLI and minute. */
  addSliSamples(samples: readonly SliSample[]): Promise<void>;
  /** Samples of `sli` from `fromMinute` on, oldest first. */
  listSliSamples(sli: string, fromMinute: number): Promise<SliSample[]>;
  /** Forgets samples older than `beforeMinute`. */
  deleteSliSamples(beforeMinute: number): Promise<void>;
}
