/**
 * Package: a system package, installed (any, an exact or the latest
 * version), held, or removed, through a PackageBackend (apt/dpkg today).
 *
 * Within an engine run (ctx.run) observe asks dpkg once for the whole host
 * and every Package reads that answer; apply installs every package the run
 * will install in one transaction — the first Package action to run does it
 * for all announced ones that wait for nothing, the rest find theirs done.
 * If that transaction fails, each package is installed alone, so the error
 * names the package at fault. Outside a run each call works alone.
 *
 * After a failed apply the package is as before or as desired: apt/dpkg
 * transactions do not leave half-installed packages behind unless dpkg
 * itself is interrupted (then `dpkg --configure -a` repairs it).
 */
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { PlannedAction } from '../../provider/run.js';
import type { Ctx, Provider } from '../../provider/types.js';
import { parseDuration } from '../../util/duration.js';
import { AptBackend } from './apt.js';
import type { BackendOptions, PackageBackend, PackageRequest } from './backend.js';
import { PackageError } from './errors.js';
import { PACKAGE_NAME, PackageSpecSchema, type PackageSpec } from './spec.js';

export { PackageSpecSchema, type PackageSpec } from './spec.js';
export type { PackageBackend, InstalledPackage, PackageRequest, BackendOptions } from './backend.js';
export { AptBackend, parseDpkgQuery } from './apt.js';

export interface PackageDesired {
  name: string;
  version?: string;
  ensure: 'present' | 'absent' | 'held';
  purge: boolean;
  updateCache: boolean;
  lockTimeoutMs: number;
}

export interface PackageActual {
  version: string;
  held: boolean;
  /** The newest version the sources offer; observed only for `version: latest`. */
  candidate?: string;
}

const INSTALLED = 'Package:installed';
const BATCH = 'Package:install';

export function createPackageProvider(
  backend: PackageBackend,
): Provider<PackageSpec, PackageActual, PackageDesired> {
  const options = (d: PackageDesired, ctx: Ctx): BackendOptions => ({
    lockTimeoutMs: d.lockTimeoutMs,
    updateCache: d.updateCache,
    signal: ctx.signal,
  });

  /** Installs `desired`, in the run's one transaction when it is part of it. */
  const install = async (desired: PackageDesired, ctx: Ctx): Promise<void> => {
    const self = request(desired);
    const peers = ctx.run?.plannedOf('Package').filter(inBatch) ?? [];
    if (!ctx.run || !peers.some((p) => p.id === ctx.id))
      return backend.install([self], options(desired, ctx));
    const run = ctx.run;
    const outcome = await run.memo(BATCH, () => {
      const all = peers.map((p) => p.desired as PackageDesired);
      const requests = peers
        .filter((p) => needsInstall(p.desired as PackageDesired, p.actual as PackageActual | undefined))
        .map((p) => request(p.desired as PackageDesired));
      const merged: BackendOptions = {
        lockTimeoutMs: Math.max(...all.map((d) => d.lockTimeoutMs)),
        updateCache: all.some((d) => d.updateCache),
        signal: ctx.signal,
      };
      return backend.install(requests, merged).then(
        () => {
          run.forget(INSTALLED);
          if (requests.length > 1)
            ctx.event(
              'Normal',
              'PackagesInstalled',
              `${requests.length} packages in one ${backend.name} transaction: ${requests.map((r) => r.name).join(', ')}`,
            );
          return undefined;
        },
        (err: unknown) => err,
      );
    });
    if (outcome === undefined) return;
    // A busy lock is everyone's problem; anything else is retried alone so the error names its package.
    if (outcome instanceof ProviderError && outcome.code === 'SETPOINT_PACKAGE_LOCKED') throw outcome;
    await backend.install([self], options(desired, ctx));
  };

  const observeFresh = async (desired: PackageDesired): Promise<PackageActual | undefined> => {
    const pkg = (await backend.observe([desired.name])).get(desired.name);
    if (!pkg) return undefined;
    return withCandidate(desired, { version: pkg.version, held: pkg.held });
  };

  const withCandidate = async (desired: PackageDesired, actual: PackageActual): Promise<PackageActual> => {
    if (desired.version !== 'latest') return actual;
    const candidate = (await backend.candidates([desired.name])).get(desired.name);
    return candidate ? { ...actual, candidate } : actual;
  };

  return {
    kind: 'Package',
    description: 'A system package (apt/dpkg): installed, held or removed.',
    schema: PackageSpecSchema,
    // One package manager per host: more at once would only queue on its lock.
    concurrency: 1,

    async resolve(spec, ctx) {
      const name = spec.name ?? ctx.resource.metadata.name;
      if (!PACKAGE_NAME.test(name))
        throw new ProviderError(`${JSON.stringify(name)} is not a package name`, {
          code: 'SETPOINT_SPEC_INVALID',
          field: 'spec.name',
          hint: 'set spec.name when metadata.name is not the package name',
        });
      return {
        name,
        version: spec.version,
        ensure: spec.ensure,
        purge: spec.purge ?? false,
        updateCache: spec.updateCache ?? false,
        lockTimeoutMs: spec.lockTimeout !== undefined ? parseDuration(spec.lockTimeout)! : 60_000,
      };
    },

    async observe(desired, ctx) {
      const installed = ctx.run
        ? await ctx.run.memo(INSTALLED, () => backend.observe())
        : await backend.observe([desired.name]);
      const pkg = installed.get(desired.name);
      if (!pkg) return undefined;
      return withCandidate(desired, { version: pkg.version, held: pkg.held });
    },

    diff(desired, actual) {
      const changes: Change[] = [];
      if (!actual) {
        changes.push({ path: 'spec.ensure', old: 'absent', new: desired.ensure });
        if (desired.version) changes.push({ path: 'spec.version', new: desired.version });
        return changes;
      }
      const wanted = wantedVersion(desired, actual);
      if (wanted !== undefined && wanted !== actual.version)
        changes.push({ path: 'spec.version', old: actual.version, new: wanted });
      const held = desired.ensure === 'held';
      if (held !== actual.held)
        changes.push({ path: 'spec.ensure', old: actual.held ? 'held' : 'present', new: desired.ensure });
      return changes;
    },

    async apply(desired, actual, ctx) {
      if (needsInstall(desired, actual)) await install(desired, ctx);
      let now = await observeFresh(desired);
      if (!now)
        throw new PackageError(
          `${desired.name} is still not installed after ${backend.name} reported success`,
          'SETPOINT_APPLY_UNCONVERGED',
          {
            field: 'spec.name',
            hint: `it may be a virtual package: install a real package that provides it`,
          },
        );
      const held = desired.ensure === 'held';
      if (now.held !== held) {
        await backend.hold([desired.name], held, options(desired, ctx));
        now = { ...now, held };
      }
      const wanted = wantedVersion(desired, now);
      if (wanted !== undefined && wanted !== now.version)
        throw new PackageError(
          `${desired.name} is at ${now.version}, not ${wanted}, after the install`,
          'SETPOINT_APPLY_UNCONVERGED',
          {
            field: 'spec.version',
            hint: 'an apt pin or hold may keep it back: see apt-cache policy ' + desired.name,
          },
        );
      return now;
    },

    async destroy(desired, _actual, ctx) {
      await backend.remove([desired.name], desired.purge, options(desired, ctx));
      ctx.run?.forget(INSTALLED);
    },

    isDestructive: (desired) => desired.purge,

    health(desired, actual) {
      if (!actual) return { status: 'Missing', message: `${desired.name} is not installed` };
      return { status: 'Healthy' };
    },

    display(desired, actual) {
      return { name: desired.name, version: actual.version, held: actual.held, candidate: actual.candidate };
    },
  };
}

/** The version `desired` asks for, given what is there: undefined = any. */
function wantedVersion(desired: PackageDesired, actual: PackageActual): string | undefined {
  if (desired.version === 'latest') return actual.candidate ?? actual.version;
  return desired.version;
}

function needsInstall(desired: PackageDesired, actual: PackageActual | undefined): boolean {
  if (!actual) return true;
  const wanted = wantedVersion(desired, actual);
  return wanted !== undefined && wanted !== actual.version;
}

function request(desired: PackageDesired): PackageRequest {
  return { name: desired.name, version: desired.version };
}

/** Announced Package installs that can go first, in the run's one transaction. */
function inBatch(p: PlannedAction): boolean {
  return p.op !== 'delete' && p.after.length === 0;
}

/** The Package provider on apt/dpkg. */
export const packageProvider = createPackageProvider(new AptBackend());
