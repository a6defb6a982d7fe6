/**
 * The run scope's engine side: before the first action, tell providers which
 * actions this run will perform (so a kind can act for several in one
 * transaction); after each success, note the change; after the run, notify
 * resources that subscribe to a changed one (a Service's `restartOn`), as
 * Puppet's notify/subscribe and Ansible's handlers do.
 */
import { formatKey, parseKey, type Resource } from '../manifest/index.js';
import type { Action } from '../plan/index.js';
import type { RunScope } from '../provider/run.js';
import type { ActionOutcome } from './executor.js';
import type { Observation } from './observe.js';

/** The run's scope (all observations of a run share one), or undefined outside engine runs. */
export function scopeOf(observations: readonly Observation[]): RunScope | undefined {
  return observations.find((o) => o.ctx.run)?.ctx.run;
}

/** Announces the actions about to run; held ones and their dependencies' in-sync edges are left out. */
export function announceActions(
  scope: RunScope | undefined,
  actions: readonly Action[],
  obsById: ReadonlyMap<string, Observation>,
  isHeld: (id: string) => boolean,
): void {
  if (!scope) return;
  const acting = new Set(actions.filter((a) => a.op !== 'noop').map((a) => a.id));
  scope.announce(
    actions
      .filter((a) => a.op !== 'noop' && !isHeld(a.id))
      .map((a) => {
        const o = obsById.get(a.id)!;
        return {
          id: a.id,
          kind: a.kind,
          op: a.op as 'create' | 'update' | 'replace' | 'delete',
          desired: o.desired,
          actual: o.actual,
          after: a.after.filter((d) => acting.has(d) && d !== a.id),
        };
      }),
  );
}

/** One notification delivered (or failed), for events and logs. */
export interface Notified {
  id: string;
  changed: string[];
  ok: boolean;
  message: string;
}

/**
 * Notifies every resource whose provider subscribes to resources this run
 * changed, unless its own action failed or was skipped. Failures are
 * reported, never thrown: the run's changes stand.
 */
export async function notifySubscribers(
  scope: RunScope | undefined,
  observations: readonly Observation[],
  outcomes: readonly ActionOutcome[],
): Promise<Notified[]> {
  if (!scope) return [];
  const notOk = new Set(outcomes.filter((o) => o.status !== 'succeeded').map((o) => o.action.id));
  const out: Notified[] = [];
  for (const o of observations) {
    const { provider } = o;
    if (!provider.notify || !provider.subscribesTo || o.error || o.orphan || o.absent) continue;
    if (notOk.has(o.resource.id)) continue;
    const subscribed = provider.subscribesTo(o.resource.spec).map((d) => normalise(d, o));
    const changed = scope.changedAmong(subscribed);
    if (changed.length === 0) continue;
    out.push(await deliver(o, changed));
  }
  return out;
}

/**
 * Serve's form (one resource per reconcile): after `changedId` was applied,
 * notify the declared resources that subscribe to it, each observed afresh.
 */
export async function notifyDependents(
  changedId: string,
  dependents: readonly Resource[],
  observe: (r: Resource) => Promise<Observation>,
): Promise<Notified[]> {
  const out: Notified[] = [];
  for (const r of dependents) {
    const o = await observe(r);
    const { provider } = o;
    if (!provider.notify || !provider.subscribesTo || o.error || o.absent) continue;
    if (!provider.subscribesTo(r.spec).some((ref) => normalise(ref, o) === changedId)) continue;
    out.push(await deliver(o, [changedId]));
  }
  return out;
}

async function deliver(o: Observation, changed: string[]): Promise<Notified> {
  try {
    const message = await o.provider.notify!(o.desired, o.actual, changed, o.ctx);
    o.ctx.event('Normal', 'Notified', `${message} (changed: ${changed.join(', ')})`);
    return { id: o.resource.id, changed, ok: true, message };
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    o.ctx.event('Warning', 'NotifyFailed', `${message} (changed: ${changed.join(', ')})`);
    return { id: o.resource.id, changed, ok: false, message };
  }
}

/** `Kind/name` resolves as validation resolved it into dependsOn (the project's default namespace). */
function normalise(ref: string, o: Observation): string {
  const key = parseKey(ref);
  if (!key || ref.split('/').length === 3) return ref;
  return (
    o.resource.dependsOn.find((d) => {
      const k = parseKey(d);
      return k?.kind === key.kind && k.name === key.name;
    }) ?? formatKey(key)
  );
}
