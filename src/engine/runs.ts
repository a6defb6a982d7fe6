/**
 * Runs and actions whose process is gone. A `running` run whose holder (the
 * `host:pid` that started it) no longer runs — killed, or its lease expired
 * and someone else holds the state lock now — is marked `interrupted`; an
 * action intent it left (it was acting when it ended) becomes an audit entry
 * with result `interrupted`: the change may have been made, so it is
 * audited rather than lost. Called at every start that holds the state
 * lock: `apply` and `serve`.
 */
import { hostname } from 'node:os';
import type { ActionIntent, AuditInput, Lease, RunRecord, Store } from '../store/index.js';
import { holderId, STATE_LOCK } from '../store/lock.js';

export interface Recovered {
  runs: RunRecord[];
  intents: ActionIntent[];
}

export async function recoverInterrupted(store: Store): Promise<Recovered> {
  const lease = await store.getLease(STATE_LOCK);
  const gone = (holder: string | undefined) => holderIsGone(holder, lease, Date.now());
  const runs = (await store.listRuns({ result: 'running', limit: 1000 })).filter((r) => gone(r.holder));
  const intents = (await store.listIntents()).filter((i) => gone(i.holder));
  if (runs.length === 0 && intents.length === 0) return { runs, intents };
  const now = new Date().toISOString();
  const audits: AuditInput[] = intents.map((i) => ({
    time: now,
    actor: i.actor,
    action: i.action,
    resourceId: i.resourceId,
    revisionId: i.revisionId,
    diffDigest: i.diffDigest,
    result: 'interrupted',
    detail: {
      run: i.runId,
      holder: i.holder,
      startedAt: i.startedAt,
      note: 'the process ended while acting: the change may have been made',
    },
  }));
  await store.commit({
    audits,
    intentsDone: intents,
    // When it ended is not known: no finishedAt.
    runs: runs.map((r) => ({ ...r, result: 'interrupted' })),
  });
  return { runs, intents };
}

/**
 * Whether the process `holder` names is gone: it is not us, and either it is
 * on this host and no longer exists, or the live state lease belongs to
 * someone else (only the lock holder acts), or the lease has expired.
 */
export function holderIsGone(holder: string | undefined, lease: Lease | undefined, nowMs: number): boolean {
  const me = holderId();
  if (holder === me) return false;
  const live = lease !== undefined && lease.expiresAt > nowMs;
  if (holder !== undefined && live && leaseHolderIs(lease, holder)) return false;
  const m = holder ? /^([^:]+):(\d+)$/.exec(holder) : null;
  if (m && m[1] === hostname() && !processExists(Number(m[2]))) return true;
  // Alive on this host, or on another host: gone once someone else holds the lock or nobody does.
  if (live) return true;
  return !(m && m[1] === hostname());
}

function leaseHolderIs(lease: Lease, holder: string): boolean {
  return lease.holder === holder || lease.holder.startsWith(`${holder} `);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
