/**
 * Service: a systemd service — its unit file (inline, or written by a File
 * resource), enablement, running state, and restarts when resources it
 * subscribes to (`restartOn`, `unitFile`) change in a run (see
 * provider/run.ts and engine/notify.ts). A changed unit is followed by
 * `daemon-reload` (and a restart when it runs). Health comes from
 * `systemctl show` (ActiveState, SubState, NRestarts).
 *
 * Unit files and enablement work offline — in a root folder
 * (`systemctl --root`) or on a host whose init is not systemd. Running state
 * needs systemd as PID 1: elsewhere observe fails at plan time with
 * SETPOINT_SYSTEMD_NOT_RUNNING naming spec.state, and nothing is changed.
 *
 * After a failed apply the unit file is the old or the new one (atomic
 * write); enablement and state are as systemctl left them, which the next
 * observe sees.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Change } from '../../diff/index.js';
import { fsError, ProviderError } from '../../provider/errors.js';
import type { Ctx, Provider } from '../../provider/types.js';
import { atomicWriteFileSync } from '../fs/index.js';
import { ServiceSpecSchema, UNIT_NAME, type ServiceSpec } from './spec.js';
import { isEnabled, notPid1, systemctl, systemctlOrThrow, systemdRunning, unitStatus } from './systemctl.js';

export { ServiceSpecSchema, type ServiceSpec } from './spec.js';
export { systemdRunning } from './systemctl.js';

export interface ServiceDesired {
  spec: ServiceSpec;
  /** The unit name with its suffix, e.g. `web.service`. */
  unit: string;
  /** Where an inline unit is written. */
  unitPath: string;
}

export interface ServiceActual {
  /** The unit file's content; observed only when the spec declares it inline. */
  unit?: string;
  enabled: boolean;
  /** From `systemctl show`, where systemd runs. */
  activeState?: string;
  subState?: string;
  restarts?: number;
}

const RUNNING = new Set(['active', 'activating', 'reloading']);

export const serviceProvider: Provider<ServiceSpec, ServiceActual, ServiceDesired> = {
  kind: 'Service',
  description: 'A systemd service: unit file, enablement, running state, restarts on change.',
  schema: ServiceSpecSchema,
  // systemctl serialises on systemd's job queue anyway; a few at a time keep plans quick.
  concurrency: 4,

  subscribesTo: (spec) => [...(spec.restartOn ?? []), ...(spec.unitFile ? [spec.unitFile] : [])],

  async resolve(spec, ctx) {
    const name = spec.name ?? ctx.resource.metadata.name;
    if (!UNIT_NAME.test(name))
      throw new ProviderError(`${JSON.stringify(name)} is not a systemd unit name`, {
        code: 'SETPOINT_SPEC_INVALID',
        field: 'spec.name',
        hint: 'set spec.name to the unit name, e.g. "nginx"',
      });
    const unit = /\.(service|socket|timer|target|path|mount)$/.test(name) ? name : `${name}.service`;
    return { spec, unit, unitPath: join(spec.root ?? '/', 'etc/systemd/system', unit) };
  },

  async observe(desired) {
    const { spec, unit } = desired;
    const content = spec.unit !== undefined ? readOrUndefined(desired.unitPath) : undefined;
    const enabled = await isEnabled(unit, spec.root);
    const online = !spec.root && systemdRunning();
    if (spec.state !== undefined && !online) throw notPid1('spec.state', `manage whether ${unit} runs`);
    const status = online ? await unitStatus(unit) : undefined;
    const exists =
      spec.unit !== undefined
        ? content !== undefined
        : enabled.known || (status !== undefined && status.loadState !== 'not-found');
    if (!exists) return undefined;
    const actual: ServiceActual = { enabled: enabled.enabled };
    if (content !== undefined) actual.unit = content;
    if (status)
      Object.assign(actual, {
        activeState: status.activeState,
        subState: status.subState,
        restarts: status.restarts,
      });
    return actual;
  },

  diff(desired, actual) {
    const { spec } = desired;
    if (!actual) return [{ path: 'spec.ensure', old: 'absent', new: 'present' }];
    const changes: Change[] = [];
    if (spec.unit !== undefined && actual.unit !== spec.unit)
      changes.push({ path: 'spec.unit', old: actual.unit, new: spec.unit, format: 'text' });
    if (spec.enabled !== undefined && spec.enabled !== actual.enabled)
      changes.push({ path: 'spec.enabled', old: actual.enabled, new: spec.enabled });
    if (spec.state !== undefined && (spec.state === 'running') !== RUNNING.has(actual.activeState ?? ''))
      changes.push({ path: 'spec.state', old: actual.activeState, new: spec.state });
    return changes;
  },

  async apply(desired, actual, ctx) {
    const { spec, unit } = desired;
    const online = !spec.root && systemdRunning();
    if (spec.state !== undefined && !online) throw notPid1('spec.state', `manage whether ${unit} runs`);
    let unitChanged = false;
    if (spec.unit !== undefined && actual?.unit !== spec.unit) {
      try {
        mkdirSync(dirname(desired.unitPath), { recursive: true });
        atomicWriteFileSync(desired.unitPath, spec.unit, 0o644);
      } catch (err) {
        throw new ProviderError(`cannot write the unit file: ${(err as Error).message}`, {
          code: 'SETPOINT_APPLY_FAILED',
          field: 'spec.unit',
          hint: `run setpoint as a user that may write ${dirname(desired.unitPath)} (root)`,
          cause: err,
        });
      }
      unitChanged = true;
      if (online) await systemctlOrThrow(['daemon-reload'], undefined, 'spec.unit', ctx.signal);
    }
    if (spec.enabled !== undefined && spec.enabled !== actual?.enabled)
      await systemctlOrThrow(
        [spec.enabled ? 'enable' : 'disable', unit],
        spec.root,
        'spec.enabled',
        ctx.signal,
      );
    if (spec.state !== undefined) {
      const running = RUNNING.has(actual?.activeState ?? '');
      if (spec.state === 'running' && !running)
        await systemctlOrThrow(['start', unit], undefined, 'spec.state', ctx.signal);
      else if (spec.state === 'running' && unitChanged)
        await systemctlOrThrow(['restart', unit], undefined, 'spec.unit', ctx.signal);
      else if (spec.state === 'stopped' && running)
        await systemctlOrThrow(['stop', unit], undefined, 'spec.state', ctx.signal);
    }
    const now = await serviceProvider.observe(desired, ctx);
    if (!now)
      throw new ProviderError(`systemd does not know ${unit} after apply`, {
        code: 'SETPOINT_APPLY_UNCONVERGED',
        field: spec.unitFile ? 'spec.unitFile' : 'spec.unit',
        hint: 'declare the unit inline (spec.unit) or through a File resource (spec.unitFile)',
      });
    return now;
  },

  async destroy(desired, actual, ctx) {
    const { spec, unit } = desired;
    const online = !spec.root && systemdRunning();
    if (online && RUNNING.has(actual.activeState ?? ''))
      await systemctlOrThrow(['stop', unit], undefined, 'spec.ensure', ctx.signal);
    if (actual.enabled) await systemctlOrThrow(['disable', unit], spec.root, 'spec.ensure', ctx.signal);
    // A unit file written by a File resource is that resource's to remove.
    if (spec.unit !== undefined) {
      try {
        unlinkSync(desired.unitPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          throw fsError('removing', desired.unitPath, err, 'spec.ensure');
      }
      if (online) await systemctl(['daemon-reload'], undefined, ctx.signal);
    }
  },

  isDestructive: () => false,

  async notify(desired, _actual, changed, ctx) {
    return restartFor(desired, changed, ctx);
  },

  health(desired, actual) {
    if (!actual) return { status: 'Missing', message: `${desired.unit} is not installed` };
    if (desired.spec.state === undefined || actual.activeState === undefined) return { status: 'Healthy' };
    const restarts = actual.restarts ? `, restarted ${actual.restarts} times` : '';
    const state = `${actual.activeState} (${actual.subState})${restarts}`;
    if (desired.spec.state === 'stopped')
      return RUNNING.has(actual.activeState)
        ? { status: 'Degraded', message: `${desired.unit} is ${state}` }
        : { status: 'Healthy' };
    if (actual.activeState === 'active') return { status: 'Healthy', message: `${desired.unit} is ${state}` };
    if (actual.activeState === 'activating' || actual.activeState === 'reloading')
      return { status: 'Progressing', message: `${desired.unit} is ${state}` };
    return { status: 'Degraded', message: `${desired.unit} is ${state}` };
  },

  display(desired, actual) {
    const { unit: _content, ...shown } = actual;
    return { unit: desired.unit, ...shown };
  },
};

/** What a change in a subscribed resource means: reload a changed unit file, restart a running service. */
async function restartFor(desired: ServiceDesired, changed: readonly string[], ctx: Ctx): Promise<string> {
  const { spec, unit } = desired;
  const unitFileChanged = spec.unitFile !== undefined && changed.some((id) => sameRef(id, spec.unitFile!));
  if (spec.root) return `${unit} is in the root folder ${spec.root}, where nothing runs: not restarted`;
  if (!systemdRunning()) {
    if (spec.restartOn?.some((r) => changed.some((id) => sameRef(id, r))) && spec.state !== 'stopped')
      throw notPid1('spec.restartOn', `restart ${unit}`);
    return `${unit}: no running systemd to reload`;
  }
  if (unitFileChanged) await systemctlOrThrow(['daemon-reload'], undefined, 'spec.unitFile', ctx.signal);
  if (spec.state === 'stopped') return `${unit} not restarted: declared stopped`;
  const status = await unitStatus(unit);
  if (!RUNNING.has(status.activeState)) return `${unit} not restarted: it is ${status.activeState}`;
  await systemctlOrThrow(['restart', unit], undefined, 'spec.restartOn', ctx.signal);
  return `restarted ${unit}`;
}

/** `File/x` and `File/default/x` name the same resource. */
function sameRef(id: string, ref: string): boolean {
  const a = id.split('/');
  const b = ref.split('/');
  return (
    a[0] === b[0] &&
    a[a.length - 1] === b[b.length - 1] &&
    (a.length === 2 || b.length === 2 || a[1] === b[1])
  );
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError('reading', path, err, 'spec.unit');
  }
}
