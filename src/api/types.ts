/** The shapes the API takes and returns, shared by the local API and the remote client. */
import type { Change } from '../diff/index.js';
import type { Diagnostic, ResourceId } from '../manifest/index.js';
import type { PolicyAction, PolicyMatch } from '../policy/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import type {
  EventRecord,
  ResourceRecord,
  TokenRecord,
  ViolationRecord,
  ViolationTotal,
} from '../store/index.js';
import type { Logger } from '../telemetry/index.js';

export interface OpenOptions {
  /** Where to look for the project (setpoint.yaml upwards). Defaults to the current folder. */
  cwd?: string;
  /** The project root, explicitly (no search upwards). */
  project?: string;
  /** Overrides the state store location. */
  state?: string;
  /** JSON log file; false for none. Defaults to the settings' log file. */
  logFile?: string | false;
  logLevel?: string;
  /** Who acts. Defaults to the OS user. */
  actor?: string;
  registry?: ProviderRegistry;
  logger?: Logger;
  /** The environment whose overlays and variables apply (`--env`). Defaults to SETPOINT_ENV, else none. */
  environment?: string;
  /** Variables from the command line (`--var name=value`); they win over every other definition. Defaults to none. */
  variables?: Record<string, string>;
  /**
   * The caller only reads (validate, plan, status...): when no state exists
   * yet, nothing is created — no state folder, store, log file or manifest
   * cache; the state reads as empty. Defaults to false.
   */
  readOnly?: boolean;
}

/** Which alert incidents to list: firing now, or (all) every one since `since`; the newest `limit` (100). */
export interface AlertListOptions {
  all?: boolean;
  since?: string;
  limit?: number;
}

/** Who acts, for the audit log (e.g. an API token's name). Defaults to the API's actor (`--actor`, else the OS user). */
export interface ActorOption {
  actor?: string;
}

/** `setpoint policies`: what is declared and what it found. */
export interface PolicyListing {
  policies: Array<{
    name: string;
    id: ResourceId;
    action: PolicyAction;
    description?: string;
    match?: PolicyMatch;
    rule: string;
    /** The rule reads `actual`: judged against observed state under serve. */
    runtime: boolean;
    origin: string;
    /** Violations recorded, all time. */
    violations: number;
    lastViolation?: string;
  }>;
  /** Recorded violations by policy and action (including policies no longer declared). */
  totals: ViolationTotal[];
  /** The most recent violations, newest first. */
  violations: ViolationRecord[];
  /** Problems with the policies as declared. */
  diagnostics: Diagnostic[];
}

export interface StatusSummary {
  resources: ResourceRecord[];
  counts: { total: number; bySync: Record<string, number>; byHealth: Record<string, number> };
  /** The serve replica that leads (holds the state lease), when one does. */
  leader?: LeaderInfo;
  /** Asked through a server (`--server`): the replica that answered and its role. */
  replica?: { name: string; role: 'leader' | 'follower' };
}

/** Who leads the serve replicas: the state lease's holder, its term and when its lease runs out. */
export interface LeaderInfo {
  /** `host:pid serve <replica id>`. */
  holder: string;
  /** The fencing token. */
  term: number;
  /** ISO time. */
  expiresAt: string;
}

export interface Description {
  id: ResourceId;
  record?: ResourceRecord;
  desired?: unknown;
  actual?: unknown;
  exists: boolean;
  /** Its desired state cannot be known now (a secret that does not resolve); the diagnostics say why. */
  unknown?: boolean;
  changes: Change[];
  events: EventRecord[];
  diagnostics: Diagnostic[];
}

export interface ConvergenceFigures {
  revisions: Array<{ id: string; admittedAt: string; convergedAt?: string; convergenceSeconds?: number }>;
  driftEpisodes: number;
  /** Change seen -> drift recorded. */
  detectionMs: Percentiles;
  /** Drift recorded -> fix done. */
  remediationMs: Percentiles;
  /** Drift episodes fixed automatically / all drift episodes. */
  autoRemediationRatio?: number;
  /** Managed resources drifted now / all managed. */
  driftRatio?: number;
}

export interface Percentiles {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

/** A token as shown to people: everything but the hash. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;
