/**
 * The fleet, server side: enrolment tokens, enrolling a node (its token is
 * shown once and stored hashed), each node's compiled set, reports from
 * agents (idempotent by batch id; their audit entries join the chain with
 * the node as actor), revoking and rotating node credentials.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { generateEnrollToken, generateNodeToken, hashToken } from '../auth/index.js';
import type { DesiredState } from '../desired/desired.js';
import { SetpointError } from '../errors.js';
import { assignRevision, type Assignment } from '../fleet/assignment.js';
import { NodeSetCache, type NodeSet } from '../fleet/compile.js';
import { countStatus, type ReportBatch } from '../fleet/report.js';
import { takenOf } from '../fleet/fresh-results.js';
import type { Enrolment } from '../fleet/protocol.js';
export type { Enrolment } from '../fleet/protocol.js';
import { NAME_PATTERN, type Diagnostic, type Resource } from '../manifest/index.js';
import { unplacedResources, unplacedWarnings } from '../fleet/unplaced.js';
import { signDigest } from '../source/signing.js';
import type { EnrollTokenRecord, EventRecord, NodeRecord } from '../store/index.js';
import { rolloutPins } from '../fleet/rollout-pins.js';
import type { NodeRollout } from '../rollout/index.js';
import { storedNodeRollouts } from './rollout-nodes.js';
import type { ApiContext } from './context.js';
import type { ActorOption } from './types.js';

/** The desired state in force and its revision id (serve's, when the server runs inside it). */
export interface CurrentDesired {
  desired: DesiredState;
  revision: string;
  /** Rollouts across nodes in progress: their targets not promoted yet keep the previous revision's set. */
  rollouts?: readonly NodeRollout[];
}

/** A node as the API shows it: never its token hash. */
export type NodeInfo = Omit<NodeRecord, 'tokenHash' | 'enrollKeyHash' | 'resources'> & {
  /** The digest of the set the server would send it now. */
  desiredDigest?: string;
  /** Its agent holds an older set than the current one. */
  behind: boolean;
  /** No report for three check intervals. */
  offline: boolean;
};

export type EnrollTokenInfo = Omit<EnrollTokenRecord, 'hash'>;

interface FleetState {
  cache?: NodeSetCache;
  /** The assignment of the last desired state seen, kept so identical inputs share compiled sets. */
  last?: { desired: DesiredState; assignment: Assignment };
}
const states = new WeakMap<ApiContext, FleetState>();
const stateOf = (ctx: ApiContext): FleetState => {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = {}));
  return s;
};

const invalid = (message: string, hint: string) =>
  new SetpointError(message, 'SETPOINT_INVALID_ARGUMENT', hint);

function checkLabels(labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels))
    if (!/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/.test(k) || v.length > 253)
      throw invalid(
        `invalid label ${k}=${v}`,
        'labels are key=value; keys of letters, digits, ".", "_", "/" or "-"',
      );
}

export async function createEnrollToken(
  ctx: ApiContext,
  input: { ttlMs: number; labels?: Record<string, string>; uses?: number },
  options: ActorOption = {},
): Promise<{ token: string; info: EnrollTokenInfo }> {
  if (!(input.ttlMs > 0) || input.ttlMs > 30 * 86_400_000)
    throw invalid('an enrolment token lives between 1 s and 30 days', 'e.g. --ttl 1h');
  if (input.uses !== undefined && (!Number.isInteger(input.uses) || input.uses < 1))
    throw invalid(`--uses ${input.uses} is not a positive whole number`, 'e.g. --uses 1 for a single node');
  const labels = input.labels ?? {};
  checkLabels(labels);
  const token = generateEnrollToken();
  const now = new Date();
  const record: EnrollTokenRecord = {
    name: hashToken(token).slice(0, 12),
    hash: hashToken(token),
    labels,
    createdAt: now.toISOString(),
    createdBy: options.actor ?? ctx.actor,
    expiresAt: new Date(now.getTime() + input.ttlMs).toISOString(),
    ...(input.uses !== undefined ? { usesLeft: input.uses } : {}),
  };
  await (await ctx.store()).createEnrollToken(record);
  await ctx.audit('node.enroll-token', {
    time: record.createdAt,
    actor: record.createdBy,
    result: 'created',
    detail: { name: record.name, labels, expiresAt: record.expiresAt, uses: input.uses ?? 'unlimited' },
  });
  const { hash: _h, ...info } = record;
  return { token, info };
}

export async function listEnrollTokens(ctx: ApiContext): Promise<EnrollTokenInfo[]> {
  return (await (await ctx.store()).listEnrollTokens()).map(({ hash: _h, ...info }) => info);
}

export async function enroll(
  ctx: ApiContext,
  input: {
    token: string;
    name: string;
    labels?: Record<string, string>;
    facts?: Record<string, unknown>;
    agentVersion?: string;
    /** The agent's key for this enrolment, the same on each retry (`Idempotency-Key`). */
    key?: string;
  },
): Promise<Enrolment> {
  const store = await ctx.store();
  if (!NAME_PATTERN.test(input.name))
    throw invalid(
      `invalid node name "${input.name}"`,
      'letters, digits, ".", "_" or "-" (e.g. the hostname)',
    );
  checkLabels(input.labels ?? {});
  const now = new Date().toISOString();
  const existing = await store.getNode(input.name);
  if (existing && !existing.revokedAt && isRetryOf(existing, input.key, now))
    return enrolAgain(ctx, existing, now);
  if (existing && !existing.revokedAt)
    throw new SetpointError(
      `a node named ${input.name} is enrolled`,
      'SETPOINT_CONFLICT',
      `give this one another --name, or revoke the other first (\`setpoint nodes revoke ${input.name}\`)`,
    );
  const used = await store.useEnrollToken(hashToken(input.token), now);
  if (typeof used === 'string') {
    await ctx.audit('node.enroll', {
      time: now,
      actor: `node:${input.name}`,
      result: 'refused',
      detail: { reason: used },
    });
    throw new SetpointError(
      used === 'unknown'
        ? 'unknown enrolment token'
        : used === 'expired'
          ? 'the enrolment token has expired'
          : 'the enrolment token has no uses left',
      'SETPOINT_ENROLL_REFUSED',
      'ask an admin for a new one (`setpoint nodes enroll-token --ttl 1h`)',
    );
  }
  const token = generateNodeToken();
  // The enrolment token's labels win: an agent cannot claim env=prod with a staging token.
  const labels = { ...(input.labels ?? {}), ...used.labels };
  const node: NodeRecord = {
    name: input.name,
    labels,
    facts: input.facts ?? {},
    tokenHash: hashToken(token),
    enrolledAt: now,
    enrolledWith: used.name,
    ...(input.key ? { enrollKeyHash: hashToken(input.key) } : {}),
    lastSeenAt: now,
    agentVersion: input.agentVersion,
    counts: { total: 0, inSync: 0, drifted: 0, failed: 0 },
    resources: [],
    batches: 0,
    droppedBatches: 0,
  };
  await store.putNode(node);
  await ctx.audit('node.enroll', {
    time: now,
    actor: `node:${input.name}`,
    result: 'enrolled',
    detail: { node: input.name, labels, enrollToken: used.name },
  });
  return enrolment(ctx, node.name, token, labels);
}

/**
 * The same agent enrolling again because it never read the answer: its key matches, it has not
 * reported or rotated since, and it is soon after. Anyone else gets the conflict.
 */
function isRetryOf(node: NodeRecord, key: string | undefined, now: string): boolean {
  return (
    key !== undefined &&
    node.enrollKeyHash === hashToken(key) &&
    node.batches === 0 &&
    !node.tokenRotatedAt &&
    Date.parse(now) - Date.parse(node.enrolledAt) <= ENROL_RETRY_MS
  );
}

/** A new credential for a node whose agent lost its enrolment's answer; the lost one stops working. */
async function enrolAgain(ctx: ApiContext, node: NodeRecord, now: string): Promise<Enrolment> {
  const token = generateNodeToken();
  await (await ctx.store()).putNode({ ...node, tokenHash: hashToken(token), lastSeenAt: now });
  await ctx.audit('node.enroll', {
    time: now,
    actor: `node:${node.name}`,
    result: 'enrolled',
    detail: { node: node.name, labels: node.labels, enrollToken: node.enrolledWith, retry: true },
  });
  return enrolment(ctx, node.name, token, node.labels);
}

/** The answer to an enrolment: the credential, shown this once. */
function enrolment(ctx: ApiContext, name: string, token: string, labels: Record<string, string>): Enrolment {
  const key = signingKey(ctx);
  return {
    name,
    token,
    labels,
    ...(key ? { publicKey: publicKeyOf(key) } : {}),
    checkIntervalMs: ctx.settings.fleet.checkIntervalMs,
  };
}

/**
 * How long after enrolling an agent that lost the answer (a timeout, a dropped connection) may
 * enrol again with the same key and be given a new credential instead of a conflict.
 */
const ENROL_RETRY_MS = 10 * 60_000;

/** The private key node sets are signed with; required when a source requires signed revisions. */
function signingKey(ctx: ApiContext): string | undefined {
  const { signingKey: file } = ctx.settings.fleet;
  const required = ctx.settings.sources.some((s) => s.verify);
  if (!file) {
    if (required)
      throw new SetpointError(
        'the project requires signed revisions, and no key signs node sets',
        'SETPOINT_FLEET_UNSIGNED',
        'set fleet.signingKey in setpoint.yaml to a private key made by `setpoint keygen`',
      );
    return undefined;
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SetpointError(
      `cannot read fleet.signingKey ${file}: ${(err as Error).message}`,
      'SETPOINT_FLEET_UNSIGNED',
      'make one with `setpoint keygen`',
    );
  }
}

function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

/** The desired state in force: serve's, else every source's as it stands now. */
async function currentOf(ctx: ApiContext, current?: CurrentDesired): Promise<CurrentDesired> {
  if (current) return current;
  const { desired, admissions } = await (await ctx.sources()).currentDesired();
  return {
    desired,
    revision: admissions.map((a) => a.revision.id).join('+'),
    rollouts: await storedNodeRollouts(ctx),
  };
}

function assignmentOf(ctx: ApiContext, current: CurrentDesired): Assignment {
  const st = stateOf(ctx);
  if (st.last?.desired === current.desired && st.last.assignment.revision === current.revision)
    return st.last.assignment;
  const resources: readonly Resource[] = current.desired.nodeResources ?? [];
  const assignment = { revision: current.revision, resources };
  st.last = { desired: current.desired, assignment };
  return assignment;
}

function cacheOf(ctx: ApiContext): NodeSetCache {
  const st = stateOf(ctx);
  if (!st.cache) {
    const key = signingKey(ctx);
    st.cache = new NodeSetCache(key ? (digest) => signDigest(digest, key) : undefined);
  }
  return st.cache;
}

/** The enrolled node `name`, or a not-found error that says how to list them. */
export async function nodeNamed(ctx: ApiContext, name: string): Promise<NodeRecord> {
  const node = await (await ctx.store()).getNode(name);
  if (!node)
    throw new SetpointError(
      `no node named ${name}`,
      'SETPOINT_NOT_FOUND',
      '`setpoint nodes` lists the enrolled nodes',
    );
  return node;
}

/** The set `name` gets now (what `render --node` prints and the agent fetches). */
export async function nodeSet(ctx: ApiContext, name: string, current?: CurrentDesired): Promise<NodeSet> {
  const node = await nodeNamed(ctx, name);
  return setFor(ctx, node, await currentOf(ctx, current));
}

/** The set of a node already read (the long poll has it from touchNode: no second read). */
export function setFor(ctx: ApiContext, node: NodeRecord, current: CurrentDesired): NodeSet {
  const assignment = assignmentOf(ctx, current);
  // Files a set ships are read inside the source root of their manifest, as on the server's own host.
  return cacheOf(ctx).setFor(
    node,
    assignRevision(node, assignment, rolloutPins(assignment, current.rollouts)),
    (file) => current.desired.sourceRootOf(file),
  );
}

/** Sets compiled so far by this API (not served from the cache). */
export function compiledSets(ctx: ApiContext): number {
  return stateOf(ctx).cache?.compiled ?? 0;
}

/** The run id every event reported by the node carries. */
export const nodeRunId = (name: string): string => `node:${name}`;

/** The newest events the node reported, of all its resources or of one. */
export async function nodeEvents(
  ctx: ApiContext,
  name: string,
  options: { resourceId?: string; limit?: number } = {},
): Promise<EventRecord[]> {
  await nodeNamed(ctx, name);
  return (await ctx.store()).listEvents({
    runId: nodeRunId(name),
    resourceId: options.resourceId,
    limit: options.limit ?? 50,
  });
}

/** Resources that select none of the enrolled nodes: warnings at admission. */
export async function unplaced(ctx: ApiContext, desired: DesiredState): Promise<Resource[]> {
  if (!desired.nodeResources?.length) return [];
  return unplacedResources(desired.nodeResources, await (await ctx.store()).listNodes());
}

/** The warnings admission and `plan` show for those resources. */
export async function unplacedDiagnostics(ctx: ApiContext, desired: DesiredState): Promise<Diagnostic[]> {
  if (!desired.nodeResources?.length) return [];
  return unplacedWarnings(desired.nodeResources, await (await ctx.store()).listNodes());
}

export async function listNodes(ctx: ApiContext, current?: CurrentDesired): Promise<NodeInfo[]> {
  const nodes = await (await ctx.store()).listNodes();
  let cur: CurrentDesired | undefined;
  try {
    cur = await currentOf(ctx, current);
  } catch {
    // No admissible revision: nodes are listed without their desired digest.
  }
  return nodes.map((n) => info(ctx, n, cur));
}

export async function getNode(
  ctx: ApiContext,
  name: string,
  current?: CurrentDesired,
): Promise<NodeInfo & Pick<NodeRecord, 'resources'>> {
  const node = await nodeNamed(ctx, name);
  let cur: CurrentDesired | undefined;
  try {
    cur = await currentOf(ctx, current);
  } catch {
    // As in listNodes.
  }
  return { ...info(ctx, node, cur), resources: node.resources };
}

function info(ctx: ApiContext, n: NodeRecord, current: CurrentDesired | undefined): NodeInfo {
  const { tokenHash: _t, enrollKeyHash: _k, resources: _r, ...rest } = n;
  const desiredDigest = current && !n.revokedAt ? setFor(ctx, n, current).digest : undefined;
  const seen = n.lastSeenAt ? Date.parse(n.lastSeenAt) : 0;
  return {
    ...rest,
    ...(desiredDigest ? { desiredDigest } : {}),
    behind: Boolean(desiredDigest && n.appliedDigest !== desiredDigest),
    offline: !n.revokedAt && Date.now() - seen > 3 * ctx.settings.fleet.checkIntervalMs,
  };
}

export async function revokeNode(
  ctx: ApiContext,
  name: string,
  options: ActorOption = {},
): Promise<NodeInfo> {
  const node = await nodeNamed(ctx, name);
  if (node.revokedAt)
    throw new SetpointError(`node ${name} is already revoked`, 'SETPOINT_CONFLICT', 'nothing to do');
  const now = new Date().toISOString();
  const actor = options.actor ?? ctx.actor;
  const revoked = { ...node, revokedAt: now, revokedBy: actor };
  await (await ctx.store()).putNode(revoked);
  await ctx.audit('node.revoke', { time: now, actor, result: 'revoked', detail: { node: name } });
  return info(ctx, revoked, undefined);
}

/** A new credential for the node; the old one stops working at once. Called by the node itself. */
export async function rotateNodeToken(ctx: ApiContext, name: string): Promise<{ token: string }> {
  const node = await nodeNamed(ctx, name);
  const token = generateNodeToken();
  const now = new Date().toISOString();
  await (
    await ctx.store()
  ).putNode({ ...node, tokenHash: hashToken(token), tokenRotatedAt: now, rotateRequestedAt: undefined });
  await ctx.audit('node.rotate', {
    time: now,
    actor: `node:${name}`,
    result: 'rotated',
    detail: { node: name },
  });
  return { token };
}

/** Asks the node's agent to rotate its credential at its next contact. */
export async function requestRotation(
  ctx: ApiContext,
  name: string,
  options: ActorOption = {},
): Promise<void> {
  const node = await nodeNamed(ctx, name);
  if (node.revokedAt)
    throw new SetpointError(`node ${name} is revoked`, 'SETPOINT_CONFLICT', 'enrol it again instead');
  const now = new Date().toISOString();
  await (await ctx.store()).putNode({ ...node, rotateRequestedAt: now });
  await ctx.audit('node.rotate-request', {
    time: now,
    actor: options.actor ?? ctx.actor,
    result: 'requested',
    detail: { node: name },
  });
}

/** The node was heard from (a poll): its last-seen time, written at most every 15 s. */
export async function touchNode(ctx: ApiContext, name: string): Promise<NodeRecord> {
  const node = await nodeNamed(ctx, name);
  const now = Date.now();
  if (!node.lastSeenAt || now - Date.parse(node.lastSeenAt) > 15_000) {
    const seen = { ...node, lastSeenAt: new Date(now).toISOString() };
    await (await ctx.store()).putNode(seen);
    return seen;
  }
  return node;
}

/** A report batch from the node's agent; a batch already taken (a retry) changes nothing. */
export async function acceptReport(
  ctx: ApiContext,
  name: string,
  batch: ReportBatch,
): Promise<{ accepted: boolean; duplicate: boolean }> {
  const store = await ctx.store();
  const now = new Date().toISOString();
  // The batch id and everything the batch carries are one store transaction: a crash keeps all or none.
  const result = await store.applyNodeBatch(name, batch.id, now, {
    events: batch.events.map((e) => ({
      time: e.time,
      type: e.type,
      reason: e.reason,
      message: `node ${name}: ${e.message}`,
      resourceId: e.resourceId,
      revisionId: e.revisionId,
      // The node's events are told apart by this run id (`events --node`).
      runId: nodeRunId(name),
    })),
    audits: batch.audit.map((a) => ({
      ...a,
      actor: `node:${name}`,
      detail: { ...(a.detail ?? {}), node: name, agentActor: a.actor },
    })),
    episodes: batch.episodes.map((e) => ({
      resourceId: `${e.resourceId}@${name}`,
      kind: e.kind,
      detectedAt: e.detectedAt,
      recordedAt: e.recordedAt,
      ...(e.remediatedAt ? { remediatedAt: e.remediatedAt, resolution: e.resolution ?? 'auto' } : {}),
    })),
    update: (node) => {
      const status = batch.status ?? node.resources;
      return {
        ...node,
        lastSeenAt: now,
        agentVersion: batch.agentVersion,
        appliedDigest: batch.digest ?? node.appliedDigest,
        appliedRevision: batch.revision ?? node.appliedRevision,
        // When the agent took its set: fresh results are those observed since (fleet/fresh-results.ts).
        // Statuses without it (an older agent) cannot be judged by it.
        taken: batch.taken ? takenOf(batch.taken) : batch.status ? undefined : node.taken,
        resources: status,
        counts: countStatus(status),
        batches: node.batches + 1,
        droppedBatches: node.droppedBatches + batch.dropped,
      };
    },
  });
  return { accepted: true, duplicate: result === 'duplicate' };
}
