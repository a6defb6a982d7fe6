/**
 * Rollouts: their state for `setpoint rollout status` and `history`, and the
 * commands pause, resume, abort and promote. A command is written to the
 * store for serve's leader (as approvals and syncs are), audited, and
 * answered with the rollout once the leader has acted on it (or as it is,
 * when no serve acts within a few seconds).
 */
import { SetpointError } from '../errors.js';
import { commandReason, type RolloutVerb } from '../rollout/index.js';
import { isActivePhase, type RolloutRecord } from '../store/index.js';
import type { ApiContext } from './context.js';
import type { ActorOption } from './types.js';

/** The latest rollout of each source with a strategy (or of `source`), newest first. */
export async function rollouts(ctx: ApiContext, source?: string): Promise<RolloutRecord[]> {
  const store = await ctx.store();
  const names = source ? [strategySource(ctx, source)] : ctx.settings.rollouts.map((r) => r.source);
  const out: RolloutRecord[] = [];
  for (const name of names) {
    const [latest] = await store.listRollouts({ source: name, limit: 1 });
    if (latest) out.push(latest);
  }
  return out;
}

/** Past and present rollouts, newest first (for `history`). */
export async function rolloutHistory(ctx: ApiContext, limit = 20): Promise<RolloutRecord[]> {
  return (await ctx.store()).listRollouts({ limit });
}

export async function rolloutCommand(
  ctx: ApiContext,
  verb: RolloutVerb,
  source?: string,
  options: ActorOption & {
    waitMs?: number;
    /** Called once the command is stored: a serve in this process reads it now (its change counter does not move). */
    stored?: () => void;
  } = {},
): Promise<RolloutRecord> {
  const store = await ctx.store();
  const name = strategySource(ctx, source);
  const [current] = await store.listRollouts({ source: name, limit: 1 });
  if (!current || !isActivePhase(current.phase))
    throw new SetpointError(
      `no rollout of source ${name} is in progress${current ? ` (the latest, ${current.id}, is ${current.phase})` : ''}`,
      'SETPOINT_NO_ROLLOUT',
      'a rollout starts when serve admits a new revision of the source; `setpoint rollout status` shows the latest',
    );
  if (verb === 'pause' && current.phase === 'Paused')
    throw new SetpointError(
      `rollout ${current.id} is already paused`,
      'SETPOINT_ROLLOUT_STATE',
      '`setpoint rollout resume` goes on',
    );
  if (verb === 'resume' && current.phase !== 'Paused')
    throw new SetpointError(
      `rollout ${current.id} is not paused`,
      'SETPOINT_ROLLOUT_STATE',
      'nothing to resume',
    );
  const actor = options.actor ?? ctx.actor;
  const at = new Date().toISOString();
  await store.appendNudge({ reason: commandReason(verb, name), actor, at });
  options.stored?.();
  await ctx.audit(`rollout.${verb}.request`, {
    time: at,
    actor,
    revisionId: current.to,
    result: 'requested',
    detail: { rollout: current.id, source: name },
  });
  // The leader acts within a poll (250 ms by default); answer with what it did, not with a write of
  // the rollout made meanwhile for another reason (a gate's check), which still shows the state before.
  const deadline = Date.now() + (options.waitMs ?? 5000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await store.getRollout(current.id);
    if (now && carriedOut(verb, current, now)) return now;
  }
  return (await store.getRollout(current.id)) ?? current;
}

/** Whether `now` shows `verb` done on the rollout that was `before` (or the rollout ended meanwhile). */
export function carriedOut(verb: RolloutVerb, before: RolloutRecord, now: RolloutRecord): boolean {
  if (!isActivePhase(now.phase)) return true;
  switch (verb) {
    case 'pause':
      return now.phase === 'Paused';
    case 'resume':
      return now.phase !== 'Paused';
    case 'promote':
      return now.step > before.step;
    case 'abort':
      return false;
  }
}

/** `source`, or the only source with a strategy; it must have one. */
function strategySource(ctx: ApiContext, source?: string): string {
  const names = ctx.settings.rollouts.map((r) => r.source);
  if (source !== undefined) {
    if (!names.includes(source))
      throw new SetpointError(
        `source ${source} has no rollout strategy`,
        'SETPOINT_UNKNOWN_SOURCE',
        names.length ? `sources with one: ${names.join(', ')}` : 'add one under rollouts: in setpoint.yaml',
      );
    return source;
  }
  if (names.length === 1) return names[0];
  throw new SetpointError(
    names.length === 0 ? 'no rollout strategy is configured' : `${names.length} sources roll out: say which`,
    'SETPOINT_UNKNOWN_SOURCE',
    names.length === 0
      ? 'add one under rollouts: in setpoint.yaml (see docs/rollout.md)'
      : `--source ${names.join(' | ')}`,
  );
}
