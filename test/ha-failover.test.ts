/**
 * Several serve replicas on one state: exactly one leads; kill -9 of the
 * leader at random moments while it reconciles many files and counting Execs
 * hands the work to another replica, which converges everything without any
 * action running twice.
 *
 * HA_FILES (default 1000) and HA_ROUNDS (default 5; the full run is HA_ROUNDS=20, and
 * `npm run bench:failover` measures 20 trials) size it: one round
 * (change, kill, takeover, convergence, a new replica) takes about 3 s with
 * 1,000 files on a 2-core machine, about a minute for the file.
 */
import { describe, test } from 'node:test';
import { killLeaderRounds } from './ha-kit.js';

const FILES = Number(process.env.HA_FILES ?? 1000);
const ROUNDS = Number(process.env.HA_ROUNDS ?? 5);

describe('serve replicas fail over', () => {
  test(`kill -9 of the leader ${ROUNDS} times during reconciliation of ${FILES} files: a new leader within TTL + 5 s, convergence, no action twice`, async (t) => {
    await killLeaderRounds(t, { files: FILES, rounds: ROUNDS });
  });
});
