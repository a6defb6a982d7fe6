/**
 * What a rolling update needs to undo itself, kept in `rollout.json` beside
 * the replica records: the last spec every replica ran ready (its start
 * fields as declared, secrets as references, never values) and the spec
 * whose update was rolled back. Written atomically; a missing or torn file
 * reads as "no history".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFileSync } from '../fs/index.js';
import type { ProcessSpec } from './spec.js';

/** The spec fields a replica is started with, as declared (env secrets stay `{secretRef}`). */
export type StartFields = Pick<ProcessSpec, 'command' | 'args' | 'env'> & { cwd: string };

export interface RolloutHistory {
  version: 1;
  /** The last spec whose replicas were all running and ready. */
  lastGood?: { digest: string; spec: StartFields; at: string };
  /** A spec whose update was rolled back: not rolled out again until the spec changes. */
  failed?: { digest: string; reason: string; at: string };
}

export function historyPath(stateDir: string): string {
  return join(stateDir, 'rollout.json');
}

export function readHistory(stateDir: string): RolloutHistory {
  try {
    const h = JSON.parse(readFileSync(historyPath(stateDir), 'utf8')) as RolloutHistory;
    return h.version === 1 ? h : { version: 1 };
  } catch {
    return { version: 1 };
  }
}

export function writeHistory(stateDir: string, history: RolloutHistory): void {
  atomicWriteFileSync(historyPath(stateDir), JSON.stringify(history, null, 2) + '\n', 0o600);
}
