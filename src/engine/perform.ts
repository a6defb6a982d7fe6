/**
 * Performs one plan action through the resource's provider. Shared by
 * one-shot apply and the controller. Each provider call is a span when
 * tracing is on.
 */
import { ProviderError } from '../provider/errors.js';
import type { Action } from '../plan/index.js';
import type { Observation } from './observe.js';
import { mayApply } from '../provider/types.js';
import { traceProviderCall } from '../telemetry/trace.js';

export interface Performed {
  /** The actual state afterwards (undefined once deleted). */
  actual: unknown;
  /** A sentence: what was done. */
  message: string;
}

export async function performAction(obs: Observation, action: Action): Promise<Performed> {
  const { provider, ctx } = obs;
  const what = describeTarget(obs);
  if (
    (action.op === 'create' || action.op === 'update' || action.op === 'replace') &&
    !mayApply(provider, obs.desired)
  )
    throw new ProviderError(
      `${provider.kind} is observe-only: its drift can be reported, never fixed by setpoint`,
      {
        code: 'SETPOINT_OBSERVE_ONLY',
        hint: 'fix the target by other means, or set lifecycle.remediation: alert',
      },
    );
  switch (action.op) {
    case 'noop':
      return { actual: obs.actual, message: 'in sync' };
    case 'create': {
      const actual: unknown = await traceProviderCall('apply', obs.resource, () =>
        provider.apply!(obs.desired, undefined, ctx),
      );
      return { actual, message: `created${what}` };
    }
    case 'update': {
      const desired = await desiredForUpdate(obs);
      const actual: unknown = await traceProviderCall('apply', obs.resource, () =>
        provider.apply!(desired, obs.actual, ctx),
      );
      return { actual, message: `updated ${action.changes.map((c) => c.path).join(', ')}${what}` };
    }
    case 'replace': {
      await destroy(obs);
      const actual: unknown = await traceProviderCall('apply', obs.resource, () =>
        provider.apply!(obs.desired, undefined, ctx),
      );
      return { actual, message: `replaced${what}` };
    }
    case 'delete':
      await destroy(obs);
      return { actual: undefined, message: `deleted${what}` };
  }
}

/**
 * `lifecycle.ignoreChanges` fields are left alone by an update made for other
 * reasons: the spec is resolved without them, so the provider keeps what is
 * there (an unset field is unmanaged). A create still sets them. If the spec
 * is not valid without a field, the full desired state is used.
 */
async function desiredForUpdate(obs: Observation): Promise<unknown> {
  const ignored = (obs.resource.lifecycle.ignoreChanges ?? []).filter((p) => p.startsWith('spec.'));
  if (ignored.length === 0) return obs.desired;
  const spec = structuredClone(obs.resource.spec) as Record<string, unknown>;
  for (const path of ignored) unset(spec, path.slice('spec.'.length).split('.'));
  const parsed = obs.provider.schema.safeParse(spec);
  if (!parsed.success) return obs.desired;
  return obs.provider.resolve ? obs.provider.resolve(parsed.data, obs.ctx) : parsed.data;
}

function unset(target: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (rest.length === 0) delete target[head];
  else if (target[head] && typeof target[head] === 'object')
    unset(target[head] as Record<string, unknown>, rest);
}

async function destroy(obs: Observation): Promise<void> {
  if (!obs.provider.destroy)
    throw new ProviderError(`${obs.provider.kind} resources cannot be deleted by setpoint`, {
      code: 'SETPOINT_APPLY_REFUSED',
    });
  await traceProviderCall('destroy', obs.resource, () =>
    obs.provider.destroy!(obs.desired, obs.actual, obs.ctx),
  );
}

function describeTarget(obs: Observation): string {
  const path = (obs.resource.spec as { path?: unknown } | null)?.path;
  return typeof path === 'string' ? ` ${path}` : '';
}
