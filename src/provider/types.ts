/**
 * The provider contract. A provider owns one kind and is the only code that
 * touches the target system. `diff` is pure; all I/O is in `resolve`,
 * `observe`, `apply` and `destroy`.
 */
import type * as z from 'zod';
import type { Change } from '../diff/index.js';
import type { PathClaim, Resource, ResourceId, ResourceKey } from '../manifest/index.js';
import type { Secrets } from '../secrets/index.js';
import type { Facts } from '../facts/index.js';
import type { RunScope } from './run.js';

export type { Health, HealthStatus } from '../health/types.js';
export { HEALTH_RANK } from '../health/types.js';
import type { Health } from '../health/types.js';

export type EventType = 'Normal' | 'Warning';

export interface Ctx {
  /** The resource being worked on. */
  readonly id: ResourceId;
  readonly resource: Resource;
  /** The revision being applied, when known. */
  readonly revision?: string;
  /** Folder that relative paths in the spec resolve against (the declaring manifest's folder). */
  readonly baseDir: string;
  /** Root that files referenced by the spec must stay inside (path traversal guard). */
  readonly sourceRoot: string;
  readonly secrets: Secrets;
  /**
   * A folder this provider kind may keep files in (pid files, logs), inside
   * the project's state folder; it survives restarts of setpoint.
   */
  readonly workDir: string;
  /**
   * Reads a file the spec refers to (relative to `baseDir`). It must stay
   * inside `sourceRoot`; its digest becomes part of the revision. Throws a
   * ProviderError naming `field`.
   */
  readFile(path: string, field: string): Buffer;
  /**
   * Host facts (built-in and the project's custom ones), gathered on first
   * call and cached for the process. Throws a SetpointError when a custom
   * fact fails.
   */
  facts(): Facts;
  /**
   * Notes an input the rendered state depends on that is not a source file
   * (e.g. the facts a template read), so the revision digest covers it. Only
   * its sha256 is kept; never pass data derived from a secret.
   */
  noteInput(label: string, data: string | Buffer): void;
  /** Records an event about this resource (e.g. a command's output). */
  event(type: EventType, reason: string, message: string): void;
  readonly signal?: AbortSignal;
  /** What the resources of this run share (batched queries, one transaction for many); absent outside engine runs. */
  readonly run?: RunScope;
}

/** One reading against its threshold (see Provider.measurements). */
export interface Measurement {
  /** Which of several readings (a key result's name); "" for the only one. */
  key: string;
  value: number;
  threshold: number;
  meets: boolean;
}

export interface Disposable {
  dispose(): void | Promise<void>;
}

/**
 * `Spec` is the validated manifest spec; `Desired` is the spec after
 * `resolve` (files and secrets it refers to read in); `Actual` is what
 * `observe` sees. Actual must be JSON-serialisable except for Buffers.
 */
export interface Provider<Spec = unknown, Actual = unknown, Desired = Spec> {
  readonly kind: string;
  /** One sentence for `setpoint schema`. */
  readonly description: string;
  readonly schema: z.ZodType<Spec>;
  /** Bump when the schema changes, so cached validations are redone. Defaults to the package's version. */
  readonly version?: string;
  /**
   * Fields whose changes are the target failing on its own (a process
   * exiting), which the provider's own backoff handles: repairing them is not
   * a fight with another actor, so the thrash guard does not count them, and
   * under serve a change in these fields alone (desired state unchanged) is
   * a health event repaired at once, not drift: no drift event or episode,
   * the record stays in sync with the provider's health, and the provider
   * reports the repair as its own event (e.g. `ReplicaRestarted`).
   * Defaults to none.
   */
  readonly failureFields?: readonly string[];
  /** Caps concurrent actions of this kind within a run (e.g. commands). Defaults to the run's parallelism. */
  readonly concurrency?: number;

  /**
   * The target paths a validated spec owns exclusively (e.g. a File's
   * `path`). Validation refuses two resources claiming one path, and any
   * claim inside a `leaf` claim, naming both declarations; claimed paths must
   * also be absolute, below the root and free of control characters.
   * Pure. Defaults to none.
   */
  claims?(spec: Spec, key?: ResourceKey): readonly PathClaim[];

  /**
   * Reads what the spec refers to (source files, secrets). Throws a
   * ProviderError whose `field` names the offending spec field.
   * Defaults to the identity.
   */
  resolve?(spec: Spec, ctx: Ctx): Promise<Desired>;

  /** Reads the actual state; undefined means absent. Never changes anything. */
  observe(desired: Desired, ctx: Ctx): Promise<Actual | undefined>;

  /** Pure: the fields that differ. With `actual` undefined, the fields a create sets. */
  diff(desired: Desired, actual: Actual | undefined): Change[];

  /**
   * Converges the target to `desired` and returns the new actual state.
   * Idempotent and safe to retry; after a failure the target is either as
   * before or as desired, never half-written. Absent on observe-only kinds.
   */
  apply?(desired: Desired, actual: Actual | undefined, ctx: Ctx): Promise<Actual>;

  /**
   * Whether this resource can act at all (e.g. a goal acts only when it
   * names a remediation); when false it is observe-only like a kind without
   * `apply`. Pure. Defaults to true when `apply` exists.
   */
  canApply?(desired: Desired): boolean;

  /** Removes the target. After a failure the target is unchanged or gone. */
  destroy?(desired: Desired, actual: Actual, ctx: Ctx): Promise<void>;

  /** Whether a delete of this actual state loses data (deletes default to destructive). */
  isDestructive?(desired: Desired, actual: Actual): boolean;

  health?(desired: Desired, actual: Actual | undefined): Health;

  /**
   * Goal-like readings of the actual state, exported as metrics by serve
   * (`setpoint_target_value`, `_threshold`, `_meets`): e.g. a Target's value
   * against its threshold. `key` names one of several (a key result).
   * Pure. Defaults to none.
   */
  measurements?(desired: Desired, actual: Actual): Measurement[];

  /** What `get`/`describe` show of the actual state: never secrets, never huge content. */
  display?(desired: Desired, actual: Actual): unknown;

  /**
   * Watches the targets of these resources and calls `onChange(id)` when one
   * may have changed (event-driven drift detection; the controller then
   * re-observes it). `onError` reports a broken watch; the controller falls
   * back to a resync. Gets the validated spec, not the resolved desired
   * state, so setting up watches never reads sources or secrets.
   */
  watch?(
    targets: ReadonlyArray<{ id: ResourceId; spec: Spec }>,
    onChange: (id: ResourceId) => void,
    onError: (err: Error) => void,
  ): Disposable;

  /**
   * Removes what a crashed earlier run left beside the target (stale temp
   * files of atomic writes). Called by runs that may act (apply, serve) for
   * every declared resource, in sync or not; best effort, never changes the
   * target, cheap when called again (a folder is swept once per process).
   */
  sweep?(desired: Desired): void;

  /**
   * The resources whose change in a run this one must hear of (e.g. a
   * Service's `restartOn`). They are also ordering edges: they are applied
   * first. Pure. Defaults to none.
   */
  subscribesTo?(spec: Spec): readonly ResourceId[];

  /**
   * Called after a run's actions when resources this one `subscribesTo`
   * changed in that run (and its own action, if any, succeeded): e.g.
   * restart a service. Returns a sentence saying what was done; a throw is
   * reported as a Warning event, never undoes the run.
   */
  notify?(
    desired: Desired,
    actual: Actual | undefined,
    changed: readonly ResourceId[],
    ctx: Ctx,
  ): Promise<string>;

  /** Called for each resource when serve stops: release what must not outlive it (e.g. stopWithServe processes). */
  onServeStop?(desired: Desired, actual: Actual | undefined, ctx: Ctx): Promise<void>;
}

/** Whether a provider can act on this desired state (it has `apply`, and `canApply` does not say no). */
export function mayApply(provider: AnyProvider, desired: unknown): boolean {
  return provider.apply !== undefined && (provider.canApply?.(desired) ?? true);
}

/** Any provider, for registries and engines that handle every kind alike. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProvider = Provider<any, any, any>;
