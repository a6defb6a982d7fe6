/** Sources (folders and Git repositories): sync, pin and unpin, their state, and nudging a running serve. */
import type { DesiredState } from '../desired/desired.js';
import { SetpointError } from '../errors.js';
import type { Admission, SourceSet } from '../source/sources.js';
import type { RevisionRecord, SourceState } from '../store/index.js';
import type { ApiContext } from './context.js';
import type { ActorOption } from './types.js';

export type SourceStatus = SourceState & { kind: 'folder' | 'git'; url?: string; ref?: string };
export type SyncOptions = ActorOption & {
  /** Why, for the audit log (e.g. the pushed commit of a webhook). */ detail?: Record<string, unknown>;
};

/**
 * Without -f and with `sources:` configured, the desired state is each
 * source's current revision (pinned, or latest admitted), combined.
 */
export async function sourcesDesired(
  ctx: ApiContext,
  paths?: readonly string[],
): Promise<{ desired?: DesiredState; revision?: RevisionRecord }> {
  if ((paths && paths.length > 0) || ctx.settings.sources.length === 0) return {};
  const { desired, admissions } = await (await ctx.sources()).currentDesired();
  // One source: the run is of its admitted revision (so history shows when that commit converged).
  return {
    desired,
    revision: admissions.length === 1 && admissions[0].revision.admitted ? admissions[0].revision : undefined,
  };
}

/** Fetches and admits now: one source, or all; a running serve is nudged to follow. */
export async function sync(
  ctx: ApiContext,
  source?: string,
  options: SyncOptions = {},
): Promise<Admission[]> {
  const set = await ctx.sources();
  const names = source ? [set.get(source).name] : set.defs().map((d) => d.name);
  const out: Admission[] = [];
  for (const name of names) out.push(await set.sync(name));
  await requestSync(ctx, options);
  return out;
}

/** Pins a source to a revision while reconciliation stays on. */
export async function rollback(
  ctx: ApiContext,
  revision: string,
  source?: string,
  options: ActorOption = {},
): Promise<RevisionRecord> {
  const set = await ctx.sources();
  const name = source ?? onlyGitSource(set);
  return set.pin(name, revision, options.actor);
}

export async function unpin(
  ctx: ApiContext,
  source?: string,
  options: ActorOption = {},
): Promise<SourceState> {
  const set = await ctx.sources();
  return set.unpin(source ?? onlyGitSource(set), options.actor);
}

function onlyGitSource(set: SourceSet): string {
  const git = set.defs().filter((d) => d.git);
  if (git.length === 1) return git[0].name;
  throw new SetpointError(
    git.length === 0 ? 'no Git source is configured' : `${git.length} Git sources: say which`,
    'SETPOINT_UNKNOWN_SOURCE',
    git.length === 0
      ? 'add one under sources: in setpoint.yaml'
      : `--source ${git.map((d) => d.name).join(' | ')}`,
  );
}

/** Each source with its state: current and pinned revision, last fetch. */
export async function sourcesStatus(ctx: ApiContext): Promise<SourceStatus[]> {
  const set = await ctx.sources();
  const store = await ctx.store();
  const out: SourceStatus[] = [];
  for (const d of set.defs())
    out.push({
      ...((await store.getSource(d.name)) ?? { name: d.name }),
      kind: d.git ? 'git' : 'folder',
      url: d.git?.url,
      ref: d.git?.ref,
    });
  return out;
}

/** Asks a running serve to reload its sources and look at everything again. */
export async function requestSync(ctx: ApiContext, options: SyncOptions = {}): Promise<void> {
  const at = new Date().toISOString();
  const actor = options.actor ?? ctx.actor;
  await (await ctx.store()).appendNudge({ reason: 'sync', actor, at });
  await ctx.audit('sync.request', { time: at, actor, result: 'requested', detail: options.detail });
}
