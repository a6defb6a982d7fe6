/**
 * Retention: how long the state keeps events, reconcile spans, runs, alert incidents and SLI
 * samples (setpoint.yaml `retention`). `setpoint state prune` enforces it
 * once; serve runs it as a background job every `retention.interval`. The
 * audit log is never pruned: its hash chain is the record of what happened.
 */
import type { PruneCounts, RetentionCutoffs } from '../store/index.js';
import type { ApiContext } from './context.js';
import type { ActorOption } from './types.js';

export interface PruneResult {
  cutoffs: RetentionCutoffs;
  deleted: PruneCounts;
}

/** The cutoffs the settings give at `now`. */
export function retentionCutoffs(ctx: ApiContext, now = Date.now()): RetentionCutoffs {
  const r = ctx.settings.retention;
  const iso = (ms: number) => new Date(now - ms).toISOString();
  return {
    events: iso(r.eventsMs),
    runs: iso(r.runsMs),
    alerts: iso(r.alertsMs),
    sliMinute: Math.floor((now - r.sliSamplesMs) / 60_000),
  };
}

/** Deletes what is older than the retention settings; audited when anything was deleted. */
export async function prune(
  ctx: ApiContext,
  options: ActorOption & { now?: number } = {},
): Promise<PruneResult> {
  const cutoffs = retentionCutoffs(ctx, options.now);
  const deleted = await (await ctx.store()).prune(cutoffs);
  const total = Object.values(deleted).reduce((a, b) => a + b, 0);
  if (total > 0) {
    await ctx.audit('state.prune', { actor: options.actor, result: 'pruned', detail: { ...deleted } });
    ctx.logger.info({ deleted, cutoffs }, `retention: deleted ${total} rows of old history`);
  }
  return { cutoffs, deleted };
}

/** Serve's background job: prunes at start and then every interval; a failure is logged and retried next time. */
export function retentionJob(ctx: ApiContext): {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
} {
  let timer: NodeJS.Timeout | undefined;
  const once = async () => {
    try {
      await prune(ctx, { actor: 'serve' });
    } catch (err) {
      ctx.logger.warn(
        { err: (err as Error).message },
        'retention: prune failed; trying again at the next interval',
      );
    }
  };
  return {
    name: 'retention',
    async start() {
      await once();
      timer = setInterval(() => void once(), ctx.settings.retention.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
