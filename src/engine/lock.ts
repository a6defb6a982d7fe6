/**
 * The state lock: one mutating run per state at a time. It is a lease in the
 * store (so it works across hosts with PostgreSQL), renewed while the run
 * lasts. A holder on this host whose process is gone (kill -9) is taken over
 * at once instead of waiting for the lease to expire.
 */
import { hostname } from 'node:os';
import type { Lease, Store } from '../store/index.js';

export const STATE_LOCK = 'state';
const TTL_MS = 30_000;

export class LockError extends Error {
  readonly code = 'SETPOINT_STATE_LOCKED';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface HeldLock {
  lease: Lease;
  release(): Promise<void>;
}

export function holderId(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Takes the state lock, waiting up to `timeoutMs`. Taking over the lock of a
 * dead holder is audited (`lock.takeover`, by `actor`) once the lock is ours.
 */
export async function acquireStateLock(
  store: Store,
  options: { timeoutMs?: number; what?: string; actor?: string } = {},
): Promise<HeldLock> {
  const me = holderId();
  const deadline = Date.now() + (options.timeoutMs ?? 0);
  let tookOverFrom: string | undefined;
  for (;;) {
    const lease = await store.acquireLease(STATE_LOCK, `${me} ${options.what ?? ''}`.trim(), TTL_MS);
    if (lease) {
      if (tookOverFrom)
        await store.appendAudit([
          {
            time: new Date().toISOString(),
            actor: options.actor ?? 'unknown',
            action: 'lock.takeover',
            result: 'taken-over',
            detail: { from: tookOverFrom, holder: lease.holder, token: lease.token },
          },
        ]);
      return hold(store, lease);
    }
    const current = await store.getLease(STATE_LOCK);
    if (current && holderIsDead(current.holder)) {
      await store.releaseLease(STATE_LOCK, current.holder);
      tookOverFrom = current.holder;
      continue;
    }
    // Someone alive got it first: whatever we take later is not a takeover.
    tookOverFrom = undefined;
    if (Date.now() >= deadline) {
      const since = current ? Math.round((Date.now() - Date.parse(current.acquiredAt)) / 1000) : 0;
      throw new LockError(
        `the state is locked by another run (${current?.holder ?? 'unknown'}, for ${since}s)`,
        'wait for it to finish, or pass --lock-timeout 60s to wait',
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function hold(store: Store, lease: Lease): HeldLock {
  const timer = setInterval(() => {
    void store.renewLease(lease.name, lease.holder, lease.token, TTL_MS).catch(() => undefined);
  }, TTL_MS / 3);
  timer.unref();
  return {
    lease,
    async release() {
      clearInterval(timer);
      await store.releaseLease(lease.name, lease.holder);
    },
  };
}

/** A holder on this host whose process no longer exists. */
function holderIsDead(holder: string): boolean {
  const m = /^([^:]+):(\d+)/.exec(holder);
  if (!m || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
