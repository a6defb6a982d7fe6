/**
 * Observe: resolve each resource's spec (source files, secrets) and read its
 * actual state through its provider. Problems become diagnostics; nothing is
 * changed. Each provider call is a span when tracing is on.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic, FieldLocator, Resource } from '../manifest/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import type { AnyProvider } from '../provider/types.js';
import type { SecretResolver } from '../secrets/index.js';
import type { FactSource } from '../facts/index.js';
import type { RunScope } from '../provider/run.js';
import { mapLimit } from '../util/pool.js';
import { createContext, type EventSink, type RecordingCtx } from '../provider/context.js';
import { errorDiagnostic } from './diagnose.js';
import { traceProviderCall } from '../telemetry/trace.js';
import { SECRET_UNRESOLVED } from '../errors.js';

export interface Observation {
  resource: Resource;
  provider: AnyProvider;
  ctx: RecordingCtx;
  /** The resolved desired state (spec plus what it refers to). */
  desired?: unknown;
  actual?: unknown;
  exists: boolean;
  /** Declared with `ensure: absent`. */
  absent: boolean;
  /** Digest of the rendered resource (declared fields and source files, no secrets). */
  renderedDigest: string;
  /** Rendered digest plus keyed digests of secrets: changes when anything desired changes. */
  desiredDigest: string;
  error?: Diagnostic;
  /**
   * Its desired state cannot be known now (a secret that does not resolve,
   * with `unresolvedSecretsUnknown`): a warning, and the resource is neither
   * in sync nor out of sync. Apply refuses it like an error.
   */
  unknown?: Diagnostic;
  /** Not declared any more; known from the store (a prune candidate). */
  orphan?: boolean;
}

export interface ObserveOptions {
  registry: ProviderRegistry;
  secrets: SecretResolver;
  sourceRootOf(file: string): string;
  locator?: FieldLocator;
  revision?: string;
  onEvent: EventSink;
  parallelism: number;
  /** Resolve only (validate): do not read actual state. Defaults to false. */
  resolveOnly?: boolean;
  signal?: AbortSignal;
  /** Root of the providers' working folders (the state folder's `work/`). */
  workRoot?: string;
  /** Host facts for providers (templates). Defaults to the built-in facts. */
  facts?: FactSource;
  /** Shared by the resources of one run (batched queries, transactions). Defaults to none. */
  run?: RunScope;
  /** A secret that does not resolve makes the resource unknown (a warning), not an error. Defaults to false. */
  unresolvedSecretsUnknown?: boolean;
}

export { SECRET_UNRESOLVED };

export async function observeAll(
  resources: readonly Resource[],
  options: ObserveOptions,
): Promise<Observation[]> {
  return mapLimit(resources, options.parallelism, (r) => observeOne(r, options));
}

export async function observeOne(
  resource: Resource,
  options: ObserveOptions,
  orphan = false,
): Promise<Observation> {
  const provider = options.registry.require(resource.key.kind);
  const ctx = createContext({
    resource,
    sourceRoot: options.sourceRootOf(resource.origin.file),
    secrets: options.secrets,
    revision: options.revision,
    onEvent: options.onEvent,
    signal: options.signal,
    workRoot: options.workRoot,
    facts: options.facts,
    run: options.run,
  });
  const absent = (resource.spec as { ensure?: string } | null)?.ensure === 'absent';
  const obs: Observation = {
    resource,
    provider,
    ctx,
    exists: false,
    absent,
    renderedDigest: '',
    desiredDigest: '',
    orphan,
  };
  try {
    obs.desired = provider.resolve
      ? await traceProviderCall('resolve', resource, () => provider.resolve!(resource.spec, ctx))
      : resource.spec;
  } catch (err) {
    const d = errorDiagnostic(err, resource, options.locator, 'cannot resolve');
    if (options.unresolvedSecretsUnknown && d.code === SECRET_UNRESOLVED) obs.unknown = unknownDiagnostic(d);
    else obs.error = d;
  }
  obs.renderedDigest = renderedDigest(resource, ctx.sourceDigests);
  obs.desiredDigest = ctx.secretDigests.length
    ? createHash('sha256').update(obs.renderedDigest).update(ctx.secretDigests.join('\n')).digest('hex')
    : obs.renderedDigest;
  if (obs.error || obs.unknown || options.resolveOnly) return obs;
  try {
    obs.actual = await traceProviderCall('observe', resource, () => provider.observe(obs.desired, ctx));
    obs.exists = obs.actual !== undefined;
  } catch (err) {
    obs.error = errorDiagnostic(err, resource, options.locator, 'cannot observe');
  }
  return obs;
}

/** A resolve error turned into the warning that the resource's state is unknown. */
function unknownDiagnostic(d: Diagnostic): Diagnostic {
  return {
    ...d,
    severity: 'warning',
    summary: `${d.resourceId} is unknown: ${d.summary.replace(/^cannot resolve: /, '')}${d.field ? ` (${d.field})` : ''}`,
    detail:
      'its desired state needs the secret; it is neither compared nor changed until the secret resolves',
  };
}

/** The declared digest, plus the digests of source files the resource read. */
function renderedDigest(r: Resource, sources: readonly string[]): string {
  if (sources.length === 0) return r.digest;
  const h = createHash('sha256').update(r.digest);
  for (const s of sources) h.update('\n' + s);
  return h.digest('hex');
}

/** The revision digest: every resource's rendered digest, in id order. */
export function revisionDigest(
  observations: ReadonlyArray<Pick<Observation, 'resource' | 'renderedDigest' | 'orphan'>>,
): string {
  const lines = observations
    .filter((o) => !o.orphan)
    .map((o) => `${o.resource.id} ${o.renderedDigest}`)
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
