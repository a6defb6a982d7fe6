/**
 * Maintenance silences: `setpoint silence create --matcher owner=team-web
 * --duration 2h --comment "disk swap"` holds back notifications of every
 * alert whose labels match all matchers until it ends or is expired. Alerts
 * keep being evaluated and recorded meanwhile.
 */
import { randomBytes } from 'node:crypto';
import type { SilenceRecord } from '../../store/alerts.js';
import { parseMatcher } from './labels.js';

export interface NewSilence {
  /** `name=value`, `name!=value`, `name=~regex`, `name!~regex`; at least one. */
  matchers: readonly string[];
  durationMs: number;
  comment: string;
  createdBy: string;
  /** Defaults to now. */
  startsAt?: Date;
}

/** What a caller asks for; the API adds who. */
export type SilenceInput = Omit<NewSilence, 'createdBy'>;

/** active: in force now; pending: starts later; expired: ended. */
export type SilenceState = 'active' | 'pending' | 'expired';

/** A silence record from CLI/API input; throws on bad matchers, no matchers, a non-positive duration or an empty comment. */
export function newSilence(input: NewSilence): SilenceRecord {
  if (input.matchers.length === 0)
    throw new Error('a silence needs at least one matcher (e.g. --matcher owner=team-web)');
  if (!(input.durationMs > 0))
    throw new Error('a silence needs a duration longer than zero (e.g. --duration 2h)');
  if (!input.comment.trim()) throw new Error('a silence needs a comment saying why (--comment)');
  const starts = input.startsAt ?? new Date();
  return {
    id: randomBytes(4).toString('hex'),
    matchers: input.matchers.map(parseMatcher),
    startsAt: starts.toISOString(),
    endsAt: new Date(starts.getTime() + input.durationMs).toISOString(),
    createdBy: input.createdBy,
    createdAt: new Date().toISOString(),
    comment: input.comment.trim(),
  };
}

export function silenceState(s: SilenceRecord, now: Date): SilenceState {
  const t = now.toISOString();
  if (s.endsAt <= t) return 'expired';
  return s.startsAt > t ? 'pending' : 'active';
}
