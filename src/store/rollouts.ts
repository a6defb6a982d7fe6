/**
 * What the store keeps of progressive rollouts (migration 12): one record
 * per rollout of a revision, with its phase, its step, the revision each
 * target is pinned to and the gate results so far. serve writes it at every
 * transition, so a restart resumes a rollout where it was.
 */

/** Progressing: steps advance; Paused: held by a person; the rest are final. */
export type RolloutPhase = 'Progressing' | 'Paused' | 'Completed' | 'RolledBack' | 'Aborted' | 'Superseded';

export const ROLLOUT_PHASES: readonly RolloutPhase[] = [
  'Progressing',
  'Paused',
  'Completed',
  'RolledBack',
  'Aborted',
  'Superseded',
];

/** Phases in which a rollout still decides what its targets run. */
export function isActivePhase(phase: RolloutPhase): boolean {
  return phase === 'Progressing' || phase === 'Paused';
}

/** One check of a gate, as last evaluated. */
export interface GateCheckResult {
  /** What was checked, as a sentence's subject ("health of HttpCheck/default/web"). */
  check: string;
  ok: boolean;
  /** The value seen and why it passes or fails. */
  message: string;
  at: string;
}

export interface RolloutRecord {
  /** 12 hex characters. */
  id: string;
  /** The strategy's name (its source's name unless set). */
  name: string;
  source: string;
  /** The revision targets run until promoted (the last one fully rolled out). */
  from: string;
  /** The revision being rolled out. */
  to: string;
  phase: RolloutPhase;
  /** Index into the strategy's steps of the step in progress (steps.length when done). */
  step: number;
  /** Steps of the strategy, for status (e.g. "canary group canary", "gate 2m", "50%"). */
  steps: string[];
  /** The revision each target runs, by target id; targets not listed run `from`. */
  pins: Record<string, string>;
  /** Every target the strategy governs, in its stable order. */
  targets: string[];
  /** While waiting on a step: when it started, when its targets got ready, when its gate window began. */
  stepStartedAt: string;
  readyAt?: string;
  gateStartedAt?: string;
  /** The latest result of each check of the current gate. */
  gate?: GateCheckResult[];
  /** The approval a manual gate waits for. */
  approvalId?: string;
  /** Why it stopped (gate failed, aborted by, superseded by). */
  reason?: string;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Who started, paused, promoted or aborted it last. */
  actor: string;
}

export interface RolloutStore {
  putRollout(rollout: RolloutRecord): Promise<void>;
  /** By id or unique id prefix. */
  getRollout(id: string): Promise<RolloutRecord | undefined>;
  /** Newest first; `active` keeps Progressing and Paused ones. Defaults to 20. */
  listRollouts(filter?: { source?: string; active?: boolean; limit?: number }): Promise<RolloutRecord[]>;
}
