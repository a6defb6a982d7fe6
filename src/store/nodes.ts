/**
 * The fleet's part of the store (tables of migration 10): enrolled nodes
 * with their labels, facts, last report and token hash; enrolment tokens
 * (hashed, with an expiry and a number of uses); and the ids of report
 * batches already taken, so an agent's retry never counts twice (applying
 * a batch is in ./types.ts, NodeBatchStore: it writes events and audit entries too).
 */
import { SetpointError } from '../errors.js';

/** How a node's resources stand, by its last report. */
export interface NodeCounts {
  total: number;
  inSync: number;
  drifted: number;
  failed: number;
}

/** One resource of a node, as its agent last reported it. */
export interface NodeResourceStatus {
  id: string;
  sync: string;
  health: string;
  /** Why it has that health ("HTTP 500 in 3 ms"), when the agent said. */
  healthMessage?: string;
  lastAppliedRevision?: string;
  driftedSince?: string;
  lastError?: string;
  updatedAt?: string;
  /** When the agent last observed it (a check's request, a reconcile), by the agent's clock. */
  observedAt?: string;
  /** When the agent last applied it, by the agent's clock. */
  appliedAt?: string;
}

/** The set a node holds and when its agent took it (wrote it for its local serve), by the agent's clock. */
export interface SetTaken {
  digest: string;
  at: string;
}

export interface NodeRecord {
  name: string;
  /** Labels given at enrolment (the enrolment token's and the agent's own). */
  labels: Record<string, string>;
  /** Facts the agent reported (hostname, os, arch, cpus, memory, addresses, version). */
  facts: Record<string, unknown>;
  /** sha256 (hex) of the node's token; never the token. */
  tokenHash: string;
  enrolledAt: string;
  /** The enrolment token's name (its hash prefix) it enrolled with. */
  enrolledWith?: string;
  /**
   * sha256 (hex) of the key the agent sent with its enrolment (`Idempotency-Key`): the
   * same agent retrying an enrolment whose answer it lost is given a new credential.
   */
  enrollKeyHash?: string;
  lastSeenAt?: string;
  agentVersion?: string;
  /** The digest of the set the agent holds now, and the revision it came from. */
  appliedDigest?: string;
  appliedRevision?: string;
  /** When the agent's set last became the one the server would send now (behind = not yet). */
  currentSince?: string;
  /** The set the agent holds and when it took it (agents before observation times send none). */
  taken?: SetTaken;
  counts: NodeCounts;
  resources: NodeResourceStatus[];
  /** Report batches received; dropped ones the agent could not keep while the server was away. */
  batches: number;
  droppedBatches: number;
  tokenRotatedAt?: string;
  /** An admin asked the agent to rotate its credential at its next contact. */
  rotateRequestedAt?: string;
  revokedAt?: string;
  revokedBy?: string;
}

export interface EnrollTokenRecord {
  /** A short public name (the first characters of its hash), for listing and audit. */
  name: string;
  /** sha256 (hex) of the token. */
  hash: string;
  labels: Record<string, string>;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  /** Uses left; undefined: any number until it expires. */
  usesLeft?: number;
}

/** Why an enrolment token was refused. */
export type EnrollRefusal = 'unknown' | 'expired' | 'used';

export interface FleetStore {
  /** Inserts or replaces a node. */
  putNode(node: NodeRecord): Promise<void>;
  getNode(name: string): Promise<NodeRecord | undefined>;
  /** Every node, revoked ones too, by name. */
  listNodes(): Promise<NodeRecord[]>;
  /** The node whose token hashes to `hash` (revoked or not). */
  nodeByTokenHash(hash: string): Promise<NodeRecord | undefined>;

  createEnrollToken(token: EnrollTokenRecord): Promise<void>;
  /** Takes one use of the token at `at`, atomically; the record as it was, or why it is refused. */
  useEnrollToken(hash: string, at: string): Promise<EnrollTokenRecord | EnrollRefusal>;
  listEnrollTokens(): Promise<EnrollTokenRecord[]>;
}

export type NodeBatchResult = 'applied' | 'duplicate';

/** The node a batch names is not enrolled (its transaction writes nothing). */
export const unknownNode = (name: string): SetpointError =>
  new SetpointError(
    `no node named ${name}`,
    'SETPOINT_NOT_FOUND',
    '`setpoint nodes` lists the enrolled nodes',
  );
