/** Alert incidents (list, acknowledge) and silences (list, create, expire). */
import { SetpointError } from '../errors.js';
import type { AlertAck, AlertRecord, SilenceRecord } from '../store/alerts.js';
import { formatMatcher } from '../telemetry/alerts/labels.js';
import {
  newSilence,
  silenceState,
  type SilenceInput,
  type SilenceState,
} from '../telemetry/alerts/silences.js';
import type { ApiContext } from './context.js';
import type { ActorOption, AlertListOptions } from './types.js';

/** Alert incidents, newest first: those firing now, or (all) every one since `since`. */
export async function alerts(ctx: ApiContext, options: AlertListOptions = {}): Promise<AlertRecord[]> {
  return (await ctx.store()).listAlerts({
    // Asking from a time on means the resolved ones of that period too.
    states: options.all || options.since !== undefined ? undefined : ['firing'],
    since: options.since,
    limit: options.limit ?? 100,
  });
}

/** One alert incident by id or unique prefix. */
export async function alert(ctx: ApiContext, idOrPrefix: string): Promise<AlertRecord | undefined> {
  return (await ctx.store()).getAlert(idOrPrefix);
}

/** Records whether an alert was worth someone's attention (M9: alert noise). */
export async function ackAlert(
  ctx: ApiContext,
  idOrPrefix: string,
  input: { actionable: boolean; comment?: string } & ActorOption,
): Promise<AlertRecord> {
  const found = await alert(ctx, idOrPrefix);
  if (!found)
    throw new SetpointError(
      `no alert ${idOrPrefix}`,
      'SETPOINT_NOT_FOUND',
      '`setpoint alerts --all` lists them',
    );
  const ack: AlertAck = {
    by: input.actor ?? ctx.actor,
    at: new Date().toISOString(),
    actionable: input.actionable,
    comment: input.comment,
  };
  await (await ctx.store()).ackAlert(found.id, ack);
  await ctx.audit('alert.ack', {
    time: ack.at,
    actor: ack.by,
    resourceId: found.labels.resource,
    result: input.actionable ? 'actionable' : 'noise',
    detail: { alert: found.id, rule: found.rule, comment: input.comment },
  });
  return { ...found, ack };
}

/** Silences, newest first, with their state now; only those active or pending unless `all`. */
export async function silences(
  ctx: ApiContext,
  options: { all?: boolean } = {},
): Promise<Array<SilenceRecord & { state: SilenceState }>> {
  const now = new Date();
  const list = (await (await ctx.store()).listSilences()).map((s) => ({ ...s, state: silenceState(s, now) }));
  return options.all ? list : list.filter((s) => s.state !== 'expired');
}

/** Holds back notifications of matching alerts for a while (maintenance). */
export async function createSilence(
  ctx: ApiContext,
  input: SilenceInput & ActorOption,
): Promise<SilenceRecord> {
  let silence: SilenceRecord;
  try {
    silence = newSilence({ ...input, createdBy: input.actor ?? ctx.actor });
  } catch (err) {
    throw new SetpointError((err as Error).message, 'SETPOINT_INVALID_ARGUMENT', {
      hint: 'e.g. setpoint silence create --matcher owner=team-web --duration 2h --comment "disk swap"',
      cause: err,
    });
  }
  await (await ctx.store()).putSilence(silence);
  await ctx.audit('silence.create', {
    time: silence.createdAt,
    actor: silence.createdBy,
    result: 'created',
    detail: {
      silence: silence.id,
      matchers: silence.matchers.map(formatMatcher),
      endsAt: silence.endsAt,
      comment: silence.comment,
    },
  });
  return silence;
}

/** Ends a silence now. */
export async function expireSilence(
  ctx: ApiContext,
  idOrPrefix: string,
  options: ActorOption = {},
): Promise<SilenceRecord> {
  const store = await ctx.store();
  const silence = await store.getSilence(idOrPrefix);
  if (!silence)
    throw new SetpointError(
      `no silence ${idOrPrefix}`,
      'SETPOINT_NOT_FOUND',
      '`setpoint silence list` lists them',
    );
  const now = new Date().toISOString();
  if (silence.endsAt <= now)
    throw new SetpointError(
      `silence ${silence.id} already ended at ${silence.endsAt}`,
      'SETPOINT_CONFLICT',
      '`setpoint silence list` lists those in force',
    );
  const actor = options.actor ?? ctx.actor;
  const expired: SilenceRecord = {
    ...silence,
    endsAt: now,
    startsAt: silence.startsAt > now ? now : silence.startsAt,
    expiredBy: actor,
  };
  await store.putSilence(expired);
  await ctx.audit('silence.expire', { time: now, actor, result: 'expired', detail: { silence: silence.id } });
  return expired;
}
