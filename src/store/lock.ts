/**
 * The state lock: one mutating run per state at a time. It is a lease in the
 * store (holder, term, expiry; so it works across hosts with PostgreSQL),
 * renewed every TTL/3 while the run lasts. A holder on this host whose
 * process is gone (kill -9) is taken over at once instead of waiting for the
 * lease to expire; every takeover is audited (`lock.takeover`).
 *
 * Fencing: holding the lock fences the store handle with the lease's term
 * (Store.setFence), so once another run has taken the lease over, this
 * process can write nothing more, and `assertHeld()` (which the engine calls
 * before every provider action) fails: a paused run (SIGSTOP, a frozen VM)
 * that wakes up stops instead of overwriting the newer run's work. The lease
 * lasts SETPOINT_LOCK_TTL_MS milliseconds (default 30 s).
 */
import { hostname } from 'node:os';
import { SetpointError } from '../errors.js';
import { LockLostError } from './fence.js';
import type { Lease, Store } from './index.js';

export { LockLostError } from './fence.js';

export const STATE_LOCK = 'state';
export const DEFAULT_LOCK_TTL_MS = 30_000;
/** The environment variable that sets the lease's time to live, in milliseconds (tests use a short one). */
export const LOCK_TTL_ENV = 'SETPOINT_LOCK_TTL_MS';

/** Commands that accept `--lock-timeout`: the "locked" hint offers it only to them. */
const WAITING_COMMANDS: ReadonlySet<string> = new Set(['apply']);

export class LockError extends SetpointError {
  declare readonly code: 'SETPOINT_STATE_LOCKED';
  constructor(message: string, hint: string) {
    super(message, 'SETPOINT_STATE_LOCKED', { hint });
  }
}

export interface HeldLock {
  lease: Lease;
  /** The fencing token of this tenure. */
  readonly term: number;
  /** Aborted, with the LockLostError as its reason, once the lease is found taken over. */
  readonly signal: AbortSignal;
  /** Throws a LockLostError when the lease was taken over (checks the store, renewing the lease when it runs low). */
  assertHeld(): Promise<void>;
  /** Throws the LockLostError if the lease was found lost; otherwise does nothing (no I/O). */
  throwIfLost(): void;
  release(): Promise<void>;
}

export function holderId(): string {
  return `${hostname()}:${process.pid}`;
}

/** The lease's time to live: SETPOINT_LOCK_TTL_MS, else 30 s. */
export function lockTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[LOCK_TTL_ENV];
  if (raw === undefined || raw === '') return DEFAULT_LOCK_TTL_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 100)
    throw new SetpointError(
      `${LOCK_TTL_ENV} must be a whole number of milliseconds, at least 100; got ${JSON.stringify(raw)}`,
      'SETPOINT_INVALID_SETTING',
      { hint: `unset it to use the default (${DEFAULT_LOCK_TTL_MS} ms)` },
    );
  return ms;
}

/**
 * Takes the state lock, waiting up to `timeoutMs`, and fences the store with
 * it. `what` is the command taking it (`apply`, `serve`): it is part of the
 * holder's name and picks the hint of the "locked" error.
 */
export async function acquireStateLock(
  store: Store,
  options: {
    timeoutMs?: number;
    what?: string;
    actor?: string;
    ttlMs?: number;
    /** Appended to the holder's name after `what` (serve: its replica id). */
    tag?: string;
    /** After each renewal: how long it took and whether the lease was still ours (a store error counts as false). */
    onRenew?: (seconds: number, renewed: boolean) => void;
  } = {},
): Promise<HeldLock> {
  const ttlMs = options.ttlMs ?? lockTtlMs();
  const holder = [holderId(), options.what, options.tag].filter(Boolean).join(' ');
  const deadline = Date.now() + (options.timeoutMs ?? 0);
  for (;;) {
    const current = await store.getLease(STATE_LOCK);
    const dead =
      current && current.expiresAt > Date.now() && current.holder !== holder && holderIsDead(current.holder);
    const lease = await store.acquireLease(STATE_LOCK, holder, ttlMs, dead ? current : undefined);
    if (lease) {
      const held = hold(store, lease, ttlMs, options.onRenew);
      if (lease.previous && lease.previous.holder !== holder) {
        try {
          await auditTakeover(store, lease, dead ? 'holder-gone' : 'expired', options.actor);
        } catch (err) {
          await held.release();
          throw err;
        }
      }
      return held;
    }
    // A running serve never finishes: waiting (--lock-timeout) for it is pointless.
    const serveHolds = parseHolder(current?.holder ?? '').what === 'serve';
    if (Date.now() >= deadline || serveHolds)
      throw lockedError(current ?? (await store.getLease(STATE_LOCK)), options.what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function hold(
  store: Store,
  lease: Lease,
  ttlMs: number,
  onRenew?: (seconds: number, renewed: boolean) => void,
): HeldLock {
  const controller = new AbortController();
  let lost: LockLostError | undefined;
  const onLost = (err: Error) => {
    if (lost) return;
    lost = err instanceof LockLostError ? err : new LockLostError(lease.name, undefined, lease.term);
    clearInterval(timer);
    controller.abort(lost);
  };
  store.setFence({ lease: lease.name, holder: lease.holder, term: lease.term, ttlMs, onLost });
  const renew = async () => {
    let renewed: boolean;
    const started = performance.now();
    try {
      renewed = await store.renewLease(lease.name, lease.holder, lease.term, ttlMs);
    } catch {
      onRenew?.((performance.now() - started) / 1000, false);
      return; // The store is busy or failing: the next tick tries again, and the fence guards the writes meanwhile.
    }
    onRenew?.((performance.now() - started) / 1000, renewed);
    if (!renewed) onLost(new LockLostError(lease.name, await store.getLease(lease.name), lease.term));
  };
  const timer = setInterval(() => void renew(), ttlMs / 3);
  timer.unref();
  return {
    lease,
    term: lease.term,
    signal: controller.signal,
    async assertHeld() {
      if (lost) throw lost;
      await store.assertCanAct();
    },
    throwIfLost() {
      if (lost) throw lost;
    },
    async release() {
      clearInterval(timer);
      // A lost lock keeps its fence: nothing this handle writes later (a last flush on shutdown) may land.
      if (lost) return;
      store.setFence(undefined);
      await store.releaseLease(lease.name, lease.holder);
    },
  };
}

async function auditTakeover(
  store: Store,
  lease: Lease,
  reason: 'expired' | 'holder-gone',
  actor = 'unknown',
): Promise<void> {
  const previous = lease.previous!;
  await store.appendAudit([
    {
      time: new Date().toISOString(),
      actor,
      action: 'lock.takeover',
      result: 'taken-over',
      detail: {
        from: previous.holder,
        fromTerm: previous.term,
        reason,
        expiredAt: new Date(previous.expiresAt).toISOString(),
        holder: lease.holder,
        term: lease.term,
      },
    },
  ]);
}

/** "Locked", saying who holds it (what, pid, host, since) and what the command that hit it can do. */
function lockedError(current: Lease | undefined, what = 'apply'): LockError {
  const h = parseHolder(current?.holder ?? '');
  const age = current ? Math.max(0, Math.round((Date.now() - Date.parse(current.acquiredAt)) / 1000)) : 0;
  const who = current
    ? `${h.what ?? 'a run'}, pid ${h.pid ?? '?'} on ${h.host ?? current.holder}, since ${current.acquiredAt} (${age}s)`
    : 'unknown';
  const here = h.host === hostname();
  const stopIt = here ? `kill ${h.pid}` : `pid ${h.pid} on ${h.host}`;
  let hint: string;
  if (h.what === 'serve' && what === 'serve')
    hint = `another setpoint serve works on this state: use that one, or stop it first (${stopIt}) and start ${what} again`;
  else if (h.what === 'serve')
    // As with Argo CD or Flux: while the controller runs, ask it to reconcile now instead of applying beside it.
    hint = `setpoint serve converges this state itself: run \`setpoint sync\` to make it fetch the sources and reconcile everything now (with --server URL from another host); to ${what} by hand, stop serve first (${stopIt})`;
  else if (WAITING_COMMANDS.has(what)) hint = 'wait for it to finish, or pass --lock-timeout 60s to wait';
  else
    hint = `wait for that ${h.what ?? 'run'} to finish (pid ${h.pid ?? '?'} on ${h.host ?? '?'}), then start ${what} again`;
  return new LockError(`the state is locked by another run: ${who}`, hint);
}

/** `host:pid what [tag]` read back (serve's tag is its replica id). */
export function parseHolder(holder: string): { host?: string; pid?: number; what?: string; tag?: string } {
  const m = /^([^:\s]+):(\d+)(?: (\S+))?(?: (.+))?$/.exec(holder);
  return m ? { host: m[1], pid: Number(m[2]), what: m[3], tag: m[4] } : {};
}

/** A holder on this host whose process no longer exists. */
function holderIsDead(holder: string): boolean {
  const { host, pid } = parseHolder(holder);
  if (host !== hostname() || pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
