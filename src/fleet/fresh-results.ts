/**
 * Which results a node reported say something about the set it holds. An
 * agent takes a set at `taken.at` (writes it for its local serve); the local
 * serve then applies what changed and restarts what depends on it. A result
 * observed before the last of those applies — an HttpCheck request made
 * while the previous file was still in place — describes the previous set,
 * whatever report carries it. Every time compared here is the agent's own
 * clock, so the node's clock never meets the server's. Pure: the agent
 * reports as soon as a result turns fresh (collector.ts), the server's
 * rollouts count only fresh results (rollout-targets.ts).
 */
import type { NodeRecord, NodeResourceStatus, SetTaken } from '../store/index.js';

/**
 * From when (epoch ms) a node's results count for the set it took: the later
 * of taking it and the last apply there since (a file, a restart that
 * followed it).
 */
export function freshSince(taken: SetTaken, status: readonly NodeResourceStatus[]): number {
  const at = Date.parse(taken.at);
  let since = at;
  for (const s of status) {
    const applied = s.appliedAt === undefined ? NaN : Date.parse(s.appliedAt);
    if (applied >= at && applied > since) since = applied;
  }
  return since;
}

/** The resource was observed at or after `since` (epoch ms); a status without a time was not. */
export function observedSince(s: NodeResourceStatus | undefined, since: number): boolean {
  if (s?.observedAt === undefined) return false;
  return Date.parse(s.observedAt) >= since;
}

/** Per resource (in `status` order), whether its result is fresh; none without `taken`. */
export function freshMarks(taken: SetTaken | undefined, status: readonly NodeResourceStatus[]): boolean[] {
  if (!taken) return [];
  const since = freshSince(taken, status);
  return status.map((s) => observedSince(s, since));
}

/** Every resource has a fresh result: the node has said all it will about its set (until something changes). */
export function settled(taken: SetTaken | undefined, status: readonly NodeResourceStatus[]): boolean {
  return taken !== undefined && freshMarks(taken, status).every(Boolean);
}

export type Freshness = { fresh: true } | { fresh: false; why: string };

/** Whether the result `node` reported for `id` says something of `setDigest` (the set it gets now), and why not. */
export function resultFreshness(
  node: Pick<NodeRecord, 'taken' | 'resources'>,
  setDigest: string,
  id: string,
): Freshness {
  const { taken, resources } = node;
  if (!taken) return { fresh: false, why: 'its agent reports no observation times: upgrade it' };
  if (taken.digest !== setDigest) return { fresh: false, why: 'not on its new set yet' };
  const s = resources.find((r) => r.id === id);
  if (!s) return { fresh: false, why: 'not reported yet' };
  if (!observedSince(s, freshSince(taken, resources)))
    return { fresh: false, why: 'no result observed since the node took its set' };
  return { fresh: true };
}

/**
 * For readiness: the status of `s` was observed after the node took
 * `setDigest` (a report sent between taking a set and acting on it shows
 * the previous status). An agent without observation times: as reported.
 */
export function reportedSinceTaken(
  node: Pick<NodeRecord, 'taken'>,
  setDigest: string,
  s: NodeResourceStatus,
): boolean {
  const { taken } = node;
  if (!taken) return true;
  return taken.digest === setDigest && observedSince(s, Date.parse(taken.at));
}

/** A report batch's `taken`, when it is well formed; undefined otherwise. */
export function takenOf(value: unknown): SetTaken | undefined {
  const v = value as Partial<SetTaken> | undefined;
  if (typeof v?.digest !== 'string' || typeof v.at !== 'string' || Number.isNaN(Date.parse(v.at)))
    return undefined;
  return { digest: v.digest, at: v.at };
}
