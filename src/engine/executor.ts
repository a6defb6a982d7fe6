/**
 * Executes plan actions over the dependency graph: at most `parallelism` in
 * flight (and at most a provider's `concurrency` of one kind), ready actions
 * taken by priority, and a failure stops only the actions that wait on it
 * while independent branches go on.
 */
import type { ResourceId } from '../manifest/index.js';
import type { Action } from '../plan/index.js';

export type ActionStatus = 'succeeded' | 'failed' | 'skipped';

export interface ActionOutcome {
  action: Action;
  status: ActionStatus;
  /** A sentence: what was done, or why not. */
  message: string;
  error?: unknown;
  durationMs: number;
}

export interface ExecuteOptions {
  /** Actions in flight at once. */
  parallelism: number;
  /** Performs one action; throws to fail it. Returns a sentence saying what was done. */
  perform(action: Action): Promise<string>;
  /** Per-kind cap on actions in flight. */
  concurrencyOf?(kind: string): number | undefined;
  /** Lower runs first (critical = 0). Defaults to 2 for all. */
  priorityOf?: (id: ResourceId) => number;
  /** A reason when an action must not run now (e.g. a change window); it is skipped and its dependents wait. */
  hold?(action: Action): string | undefined;
  onStart?(action: Action): void;
  onDone?(outcome: ActionOutcome): void;
  /** When aborted, no new action starts; the rest are skipped as interrupted. */
  signal?: AbortSignal;
}

export async function execute(actions: readonly Action[], options: ExecuteOptions): Promise<ActionOutcome[]> {
  const work = actions.filter((a) => a.op !== 'noop');
  const byId = new Map(work.map((a) => [a.id, a]));
  const waitingOn = new Map<ResourceId, number>();
  const children = new Map<ResourceId, ResourceId[]>();
  for (const a of work) {
    const deps = a.after.filter((d) => byId.has(d) && d !== a.id);
    waitingOn.set(a.id, deps.length);
    for (const d of deps) {
      let list = children.get(d);
      if (!list) children.set(d, (list = []));
      list.push(a.id);
    }
  }
  const { priorityOf } = options;
  const ready = new ReadyQueue(priorityOf ? (id) => priorityOf(id) : () => 2);
  for (const a of work) if (waitingOn.get(a.id) === 0) ready.push(a);
  const outcomes: ActionOutcome[] = [];
  const done = new Set<ResourceId>();
  const runningByKind = new Map<string, number>();
  let running = 0;

  const finish = (outcome: ActionOutcome) => {
    done.add(outcome.action.id);
    outcomes.push(outcome);
    options.onDone?.(outcome);
  };

  const skipDependents = (id: ResourceId, why: string) => {
    const stack = [...(children.get(id) ?? [])];
    while (stack.length > 0) {
      const child = stack.pop()!;
      if (done.has(child)) continue;
      finish({ action: byId.get(child)!, status: 'skipped', message: why, durationMs: 0 });
      stack.push(...(children.get(child) ?? []));
    }
  };

  return new Promise((resolve) => {
    const pump = () => {
      if (options.signal?.aborted) {
        ready.clear();
        if (running === 0) {
          for (const a of work)
            if (!done.has(a.id))
              finish({
                action: a,
                status: 'skipped',
                message: 'interrupted before it started',
                durationMs: 0,
              });
        }
      }
      while (running < Math.max(1, options.parallelism)) {
        const action = ready.take((kind) => {
          const cap = options.concurrencyOf?.(kind);
          return cap === undefined || (runningByKind.get(kind) ?? 0) < cap;
        });
        if (!action) break;
        if (!done.has(action.id)) start(action);
      }
      if (done.size === work.length && running === 0) resolve(outcomes);
    };

    const start = (action: Action) => {
      const held = options.hold?.(action);
      if (held !== undefined) {
        finish({ action, status: 'skipped', message: held, durationMs: 0 });
        skipDependents(action.id, `skipped: waits for ${action.id} (${held})`);
        return;
      }
      running++;
      runningByKind.set(action.kind, (runningByKind.get(action.kind) ?? 0) + 1);
      options.onStart?.(action);
      const started = performance.now();
      const settle = (outcome: Omit<ActionOutcome, 'durationMs' | 'action'>) => {
        running--;
        runningByKind.set(action.kind, runningByKind.get(action.kind)! - 1);
        finish({ action, ...outcome, durationMs: performance.now() - started });
        if (outcome.status === 'succeeded') {
          for (const child of children.get(action.id) ?? []) {
            const left = waitingOn.get(child)! - 1;
            waitingOn.set(child, left);
            if (left === 0 && !done.has(child)) ready.push(byId.get(child)!);
          }
        } else {
          skipDependents(action.id, `skipped: ${action.id} failed`);
        }
        pump();
      };
      options.perform(action).then(
        (message) => settle({ status: 'succeeded', message }),
        (error: unknown) =>
          settle({ status: 'failed', message: (error as Error)?.message ?? String(error), error }),
      );
    };

    pump();
  });
}

/**
 * Ready actions, FIFO within a priority, one queue per kind so a kind at its
 * concurrency cap never blocks the others. Taking is O(priorities × kinds).
 */
class ReadyQueue {
  private readonly levels = new Map<number, Map<string, { items: Action[]; head: number }>>();
  private size = 0;

  constructor(private readonly priorityOf: (id: ResourceId) => number) {}

  push(action: Action): void {
    const p = this.priorityOf(action.id);
    let kinds = this.levels.get(p);
    if (!kinds) {
      this.levels.set(p, (kinds = new Map<string, { items: Action[]; head: number }>()));
      // keep levels in priority order
      const sorted = [...this.levels.entries()].sort((a, b) => a[0] - b[0]);
      this.levels.clear();
      for (const [k, v] of sorted) this.levels.set(k, v);
    }
    let q = kinds.get(action.kind);
    if (!q) kinds.set(action.kind, (q = { items: [], head: 0 }));
    q.items.push(action);
    this.size++;
  }

  /** The first action, by priority, whose kind `allowed` accepts. */
  take(allowed: (kind: string) => boolean): Action | undefined {
    if (this.size === 0) return undefined;
    for (const kinds of this.levels.values()) {
      for (const [kind, q] of kinds) {
        if (q.head >= q.items.length || !allowed(kind)) continue;
        const action = q.items[q.head++];
        if (q.head > 1024 && q.head * 2 > q.items.length) {
          q.items = q.items.slice(q.head);
          q.head = 0;
        }
        this.size--;
        return action;
      }
    }
    return undefined;
  }

  clear(): void {
    this.levels.clear();
    this.size = 0;
  }
}
