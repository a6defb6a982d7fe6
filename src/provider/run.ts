/**
 * What the resources of one run share. Two needs of system kinds meet here:
 * one batched query for all resources of a kind (a Package run asks dpkg once,
 * not once per package), and acting for several resources in one transaction
 * (one `apt-get install` for every package of a run). A provider reaches the
 * scope through `ctx.run`; it is absent outside engine runs (the conformance
 * harness, a single `describe`), and a provider must then work alone, one
 * resource at a time.
 *
 * The engine creates one scope per plan/apply run, announces the actions it is
 * about to perform (held ones left out) before it executes any, and notes each
 * resource it changed, so `notify` can tell subscribers (a Service's
 * `restartOn`) after the run.
 */
import type { ResourceId } from '../manifest/index.js';

/** An action the engine will perform in this run, as a provider sees it. */
export interface PlannedAction {
  readonly id: ResourceId;
  readonly kind: string;
  readonly op: 'create' | 'update' | 'replace' | 'delete';
  /** The resolved desired state. */
  readonly desired: unknown;
  readonly actual: unknown;
  /** Resources this action waits for: an action with any cannot be done early in a batch. */
  readonly after: readonly ResourceId[];
}

export class RunScope {
  private readonly memos = new Map<string, unknown>();
  private planned: readonly PlannedAction[] = [];
  private readonly changedIds = new Set<ResourceId>();

  /** The value `make` returns, made once per run and key (e.g. a promise of one batched query). */
  memo<T>(key: string, make: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, make());
    return this.memos.get(key) as T;
  }

  /** Forgets a memo, e.g. a cached query after the provider changed the target. */
  forget(key: string): void {
    this.memos.delete(key);
  }

  /** Called by the engine once, before the first action starts. */
  announce(actions: readonly PlannedAction[]): void {
    this.planned = actions;
  }

  /** The announced actions of one kind. */
  plannedOf(kind: string): readonly PlannedAction[] {
    return this.planned.filter((a) => a.kind === kind);
  }

  /** Called by the engine for each action that succeeded. */
  markChanged(id: ResourceId): void {
    this.changedIds.add(id);
  }

  /** The ids among `ids` that this run changed. */
  changedAmong(ids: readonly ResourceId[]): ResourceId[] {
    return ids.filter((id) => this.changedIds.has(id));
  }
}
