/**
 * Inspect: observe one resource and compare it with its desired state, the
 * same way for every caller — plan, apply, drift, describe, status,
 * approvals and serve's reconciler. The observe options (provider working
 * folder, secrets, source roots) are built here from the engine's or the
 * controller's parts, so no caller can forget one and see a different
 * world (describe once observed without the work root and called a running
 * Process absent).
 */
import type { Change } from '../diff/index.js';
import { withoutIgnored } from '../diff/index.js';
import type { FieldLocator, Resource } from '../manifest/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import type { SecretResolver } from '../secrets/index.js';
import type { FactSource } from '../facts/index.js';
import { mapLimit } from '../util/pool.js';
import { observeOne, type Observation, type ObserveOptions } from './observe.js';
import { phase, phaseSync } from '../telemetry/phases.js';

/** What observing needs from whoever asks: the same parts for the engine and the controller. */
export interface InspectParts {
  registry: ProviderRegistry;
  secrets: SecretResolver;
  /** Root of the providers' working folders (the state folder's `work/`). */
  workRoot?: string;
  /** Host facts (templates read them). Defaults to the built-in facts. */
  facts?: FactSource;
}

/** The desired state's view of files: where a resource's source files are, and manifest positions. */
export interface DesiredFiles {
  sourceRootOf(file: string): string;
  locator?: FieldLocator;
}

/** The one way to make observe options. */
export function observeOptionsFor(
  parts: InspectParts,
  desired: DesiredFiles,
  extra: Partial<
    Pick<
      ObserveOptions,
      'onEvent' | 'parallelism' | 'resolveOnly' | 'signal' | 'revision' | 'unresolvedSecretsUnknown' | 'run'
    >
  > = {},
): ObserveOptions {
  return {
    registry: parts.registry,
    secrets: parts.secrets,
    workRoot: parts.workRoot,
    facts: parts.facts,
    sourceRootOf: (f) => desired.sourceRootOf(f),
    locator: desired.locator,
    onEvent: extra.onEvent ?? (() => undefined),
    parallelism: extra.parallelism ?? 1,
    resolveOnly: extra.resolveOnly,
    signal: extra.signal,
    revision: extra.revision,
    unresolvedSecretsUnknown: extra.unresolvedSecretsUnknown,
    run: extra.run,
  };
}

/** An observation with its comparison. */
export interface Inspection extends Observation {
  /** The provider's diff of desired and actual (empty when it could not be observed, or is declared absent). */
  diff: Change[];
  /** `diff` minus the paths of lifecycle.ignoreChanges: what is really out of sync. */
  changes: Change[];
}

/** Observes one resource and compares it with its desired state. */
export async function inspect(
  resource: Resource,
  options: ObserveOptions,
  orphan = false,
): Promise<Inspection> {
  const obs = await phase('observe', () => observeOne(resource, options, orphan));
  return phaseSync('diff', () => compared(obs));
}

/** Inspects resources, `options.parallelism` at a time. */
export function inspectAll(resources: readonly Resource[], options: ObserveOptions): Promise<Inspection[]> {
  return mapLimit(resources, options.parallelism, (r) => inspect(r, options));
}

/** The provider's diff of an observation (taken once; the planner asks again for the same object). */
export function differences(obs: Observation): Change[] {
  const known = (obs as Partial<Inspection>).diff;
  if (known) return known;
  if (obs.error || obs.absent || obs.unknown) return [];
  return obs.provider.diff(obs.desired, obs.actual);
}

function compared(obs: Observation): Inspection {
  const diff = differences(obs);
  return Object.assign(obs, { diff, changes: withoutIgnored(diff, obs.resource.lifecycle.ignoreChanges) });
}
