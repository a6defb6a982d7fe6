/**
 * Leader election among `serve` replicas on one state (client-go's
 * leaderelection, on the store's lease instead of a Kubernetes Lease).
 *
 * The leader holds the state lock itself (the `state` lease): so a one-shot
 * `apply` and a leader never interleave, whatever the store, and there is one
 * lease and one term sequence to reason about. The holder is
 * `host:pid serve <replica>`; the lease lasts `ttlMs` and is renewed every
 * TTL/3 (store/lock.ts). Followers try to take it every `retryMs`: a released
 * lease (SIGTERM handover) or a holder on this host whose process is gone is
 * taken at once, any other only once it has expired.
 *
 * On election the store is fenced with the new term (every write and every
 * action checks it) and `onElected` starts the leader's work. When the lease
 * is found lost (a renewal refused, or a fenced write or `assertCanAct`
 * refused: a paused leader woke up) `onDeposed('lost')` stops that work at
 * once, the fence is dropped only after it stopped, and the replica goes on
 * as a follower: it never exits for it.
 */
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Lease, Store } from '../../store/index.js';
import {
  acquireStateLock,
  holderId,
  LockError,
  parseHolder,
  STATE_LOCK,
  type HeldLock,
} from '../../store/lock.js';
import type { Logger } from '../../telemetry/index.js';
import { setActGuard } from '../../util/act-guard.js';
import { LockLostError } from '../../store/fence.js';

/** The share of the TTL after the start of the last renewal during which the leader starts actions. */
const GUARD_SHARE = 0.9;

/** How long after the expiry it saw a follower tries again (a little, for the store to agree it expired). */
const EXPIRY_MARGIN_MS = 5;

export type Role = 'leader' | 'follower';

/** Why a leader stops leading: its lease was lost, serve is stopping, or its work failed to start. */
export type StepDownReason = 'lost' | 'stopping' | 'failed';

/** What this replica knows about leadership now (`/readyz`, `status`). */
export interface LeadershipStatus {
  role: Role;
  /** This replica's holder name (`host:pid serve <replica>`). */
  replica: string;
  /** The lease's holder as last seen; undefined when nobody holds it. */
  leader?: string;
  /** The lease's term (fencing token) as last seen. */
  term?: number;
  /** When the lease runs out unless renewed (ISO time), as last seen. */
  leaseExpiresAt?: string;
}

export interface LeadershipOptions {
  store: Store;
  logger: Logger;
  /** `setpoint_leader`, `setpoint_leader_changes_total`, `setpoint_lease_renew_duration_seconds` (telemetry/metrics.ts). */
  metrics: { leader: Gauge; leaderChanges: Counter; leaseRenewSeconds: Histogram };
  replicaId: string;
  /** The lease's time to live. */
  ttlMs: number;
  /** How often a follower tries to take the lease. Defaults to min(500 ms, TTL/3). */
  retryMs?: number;
  /** Became leader (the store is fenced with `lock.term`): start acting. A throw steps down again. */
  onElected(lock: HeldLock): Promise<void>;
  /** Stop acting now; resolves once nothing of the leader's work runs any more. */
  onDeposed(reason: StepDownReason): Promise<void>;
}

export class Leadership {
  private lock: HeldLock | undefined;
  private seen: Lease | undefined;
  /** While leading: when the lease runs out unless renewed (epoch ms). */
  private expiresAt = 0;
  /** While leading: until when (performance.now()) this replica may start actions, by its own clock. */
  private validUntil = 0;
  private unguard: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Tries are scheduled (start has run): a step-down schedules the next. */
  private trying = false;
  /** Elections and step-downs, one at a time. */
  private turn: Promise<void> = Promise.resolve();
  private readonly leaderGauge: Gauge;
  private readonly changes: Counter;
  private readonly renewals: Histogram;
  /** This replica's holder name: `host:pid serve <replica id>`. */
  readonly replica: string;

  constructor(private readonly options: LeadershipOptions) {
    this.replica = `${holderId()} serve ${options.replicaId}`;
    this.leaderGauge = options.metrics.leader;
    this.leaderGauge.set(0);
    this.changes = options.metrics.leaderChanges;
    this.changes.inc({ change: 'elected' }, 0);
    this.changes.inc({ change: 'stepped-down' }, 0);
    this.renewals = options.metrics.leaseRenewSeconds;
  }

  get isLeader(): boolean {
    return this.lock !== undefined;
  }

  status(): LeadershipStatus {
    const lease = this.lock ? { ...this.lock.lease, expiresAt: this.expiresAt } : this.seen;
    const held = lease && lease.expiresAt > Date.now();
    return {
      role: this.lock ? 'leader' : 'follower',
      replica: this.replica,
      leader: held ? lease.holder : undefined,
      term: lease?.term,
      leaseExpiresAt: held ? new Date(lease.expiresAt).toISOString() : undefined,
    };
  }

  /**
   * Takes the lease if it can (then `onElected` has run when this resolves),
   * else follows. A state locked by a one-shot run (not a serve) refuses the
   * start, as it always did; a serve holding it makes this replica a follower.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.attempt(true);
    this.schedule();
  }

  /** Stops trying; a leader stops its work and releases the lease, so a follower takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.trying = false;
    clearTimeout(this.timer);
    const lock = this.lock;
    if (lock) await this.stepDown(lock, 'stopping');
    await this.turn;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.trying = true;
    clearTimeout(this.timer);
    // No tick while leading (it would find the lease held and do nothing, twice a second): the lock
    // renews the lease itself (store/lock.ts), and losing it deposes this replica, which schedules again.
    if (this.lock) return;
    this.timer = setTimeout(() => {
      void this.attempt(false)
        .catch((err: Error) =>
          this.options.logger.warn({ err: err.message }, 'cannot read or take the leader lease; retrying'),
        )
        .finally(() => this.schedule());
    }, this.nextTryIn());
    this.timer.unref();
  }

  /**
   * Every `retryMs`, or sooner: at the moment the lease seen last runs out, so
   * a frozen leader's lease is taken when it expires, not up to a retry later.
   * The expiry is the store's clock; a host whose clock is off by more than
   * the retry only tries at the usual pace (or once more, early, in vain).
   */
  private nextTryIn(): number {
    const retryMs = this.options.retryMs ?? Math.min(500, this.options.ttlMs / 3);
    const left = (this.seen?.expiresAt ?? 0) - Date.now();
    return this.lock || left <= 0 ? retryMs : Math.min(retryMs, left + EXPIRY_MARGIN_MS);
  }

  private attempt(first: boolean): Promise<void> {
    const next = this.turn.then(() => this.tryLead(first));
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async tryLead(first: boolean): Promise<void> {
    if (this.stopped || this.lock) {
      if (this.lock) this.seen = this.lock.lease;
      return;
    }
    const { store, logger, replicaId, ttlMs } = this.options;
    let lock: HeldLock;
    const asked = performance.now();
    try {
      lock = await acquireStateLock(store, {
        what: 'serve',
        tag: replicaId,
        actor: `setpoint-serve ${replicaId}`,
        ttlMs,
        onRenew: (seconds, renewed) => {
          this.renewals.observe({ result: renewed ? 'renewed' : 'refused' }, seconds);
          if (!renewed) return;
          this.expiresAt = Date.now() - seconds * 1000 + ttlMs;
          this.validUntil = performance.now() - seconds * 1000 + ttlMs * GUARD_SHARE;
        },
      });
    } catch (err) {
      if (!(err instanceof LockError)) throw err;
      const current = await store.getLease(STATE_LOCK);
      if (first) {
        if (current && parseHolder(current.holder).what !== 'serve') throw err;
        logger.info({ leader: current?.holder, term: current?.term }, 'following the leader');
      }
      this.seen = current;
      return;
    }
    this.lock = lock;
    this.seen = lock.lease;
    this.expiresAt = lock.lease.expiresAt;
    this.validUntil = asked + ttlMs * GUARD_SHARE;
    // No command starts once the lease may have run out (a pause past it): see util/act-guard.ts.
    this.unguard = setActGuard(() => {
      if (performance.now() > this.validUntil) throw new LockLostError(STATE_LOCK, undefined, lock.term);
    });
    this.leaderGauge.set(1);
    this.changes.inc({ change: 'elected' });
    logger.info(
      { replica: lock.lease.holder, term: lock.term, previous: lock.lease.previous?.holder },
      'elected leader',
    );
    lock.signal.addEventListener('abort', () => void this.stepDown(lock, 'lost'), { once: true });
    try {
      await this.options.onElected(lock);
    } catch (err) {
      logger.error({ err: (err as Error).message, term: lock.term }, 'cannot start leading; stepping down');
      await this.depose(lock, 'failed');
      if (first) throw err;
    }
  }

  /** Queues a step-down (a lost lease is noticed from a timer or a write). */
  private stepDown(lock: HeldLock, reason: StepDownReason): Promise<void> {
    const next = this.turn.then(() => this.depose(lock, reason));
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async depose(lock: HeldLock, reason: StepDownReason): Promise<void> {
    if (this.lock !== lock) return;
    this.lock = undefined;
    // Lost or failed: nothing starts from here on, whatever is still in flight. Stopping: in-flight
    // actions finish under the lease, which is released after them.
    const unguard = this.unguard;
    if (reason !== 'stopping')
      this.unguard = setActGuard(() => {
        throw new LockLostError(STATE_LOCK, undefined, lock.term);
      });
    this.leaderGauge.set(0);
    this.changes.inc({ change: 'stepped-down' });
    const lost = lock.signal.aborted ? (lock.signal.reason as Error).message : undefined;
    this.options.logger[reason === 'stopping' ? 'info' : 'warn'](
      { term: lock.term, reason, err: lost },
      reason === 'lost' ? 'lost the leader lease: stopped acting, following' : 'stepping down as leader',
    );
    try {
      await this.options.onDeposed(reason);
    } finally {
      // Released only now: the lease (and, when lost, the fence) outlive the work that relied on them.
      await lock.release().catch(() => undefined);
      if (lock.signal.aborted) this.options.store.setFence(undefined);
      unguard?.();
      if (this.unguard !== unguard) this.unguard?.();
      this.unguard = undefined;
      this.seen = await this.options.store.getLease(STATE_LOCK).catch(() => this.seen);
      // A follower again: it tries to lead every retry (not after a failed start, which its caller is told of).
      if (this.trying) this.schedule();
    }
  }
}
