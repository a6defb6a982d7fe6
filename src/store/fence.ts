/**
 * Fencing: a lock holder's writes carry its lease term, and a store refuses a
 * write whose term is no longer the lease's. This is what keeps a paused
 * holder (SIGSTOP, a long GC, a frozen VM) from writing or acting after
 * another process took the lease over. The check itself lives in each store
 * (SQLite: triggers; PostgreSQL: the same check in each write transaction).
 */
import { SetpointError } from '../errors.js';
import type { Lease } from './types.js';

/** A lease holder found that another holder took its lease: stop, write nothing more. */
export class LockLostError extends SetpointError {
  declare readonly code: 'SETPOINT_LOCK_LOST';
  constructor(
    readonly lease: string,
    /** The holder and term that hold the lease now (undefined: the lease row is gone). */
    readonly now: Pick<Lease, 'holder' | 'term'> | undefined,
    /** The term this process held. */
    readonly heldTerm: number,
  ) {
    super(
      `lost ${leaseTitle(lease)} to ${now?.holder ?? 'nobody (the lease is gone)'} (term ${now?.term ?? '?'}); this run held term ${heldTerm} and stopped: nothing more was changed or recorded by it`,
      'SETPOINT_LOCK_LOST',
      {
        hint: `its lease expired while it was paused or starved (the lease lasts SETPOINT_LOCK_TTL_MS, 30 s by default) and another run took over; check \`setpoint history\` and \`setpoint audit --action lock.takeover\`, then run again`,
      },
    );
  }
}

/** "the state lock" for the state lease, "the <name> lease" for any other. */
export function leaseTitle(name: string): string {
  return name === 'state' ? 'the state lock' : `the ${name} lease`;
}
