/**
 * A recording fake provider: targets live in memory. For tests and
 * benchmarks that are about the engine (queue, controller, store), not about
 * a target system, e.g. 100,000 resources under serve. `drift(id, value)`
 * changes a target behind the engine's back and fires the watch.
 */
import * as z from 'zod';
import type { ResourceId } from '../manifest/index.js';
import type { Provider } from './types.js';

export const FakeSpecSchema = z
  .strictObject({
    value: z.union([z.string(), z.number(), z.boolean()]).describe('The desired value.'),
    ensure: z.enum(['present', 'absent']).default('present'),
    /** Apply fails while this is set (to test failure handling). */
    fail: z.string().optional().describe('When set, apply fails with this message.'),
  })
  .describe('An in-memory target (tests and benchmarks).');

export type FakeSpec = z.infer<typeof FakeSpecSchema>;

export interface FakeActual {
  value: string | number | boolean;
}

export interface RecordedCall {
  op: 'observe' | 'apply' | 'destroy';
  id: ResourceId;
  at: number;
}

export interface RecordingFake extends Provider<FakeSpec, FakeActual> {
  readonly targets: Map<ResourceId, FakeActual>;
  readonly calls: RecordedCall[];
  /** Changes a target behind the engine's back (undefined removes it) and notifies watchers. */
  drift(id: ResourceId, value: FakeActual['value'] | undefined): void;
}

export function createRecordingFake(kind = 'Fake', options: { recordCalls?: boolean } = {}): RecordingFake {
  const targets = new Map<ResourceId, FakeActual>();
  const calls: RecordedCall[] = [];
  const watchers = new Set<(id: ResourceId) => void>();
  const record = (op: RecordedCall['op'], id: ResourceId) => {
    if (options.recordCalls !== false) calls.push({ op, id, at: Date.now() });
  };
  return {
    kind,
    description: 'An in-memory target (tests and benchmarks).',
    schema: FakeSpecSchema,
    targets,
    calls,
    drift(id, value) {
      if (value === undefined) targets.delete(id);
      else targets.set(id, { value });
      for (const w of watchers) w(id);
    },
    async observe(_spec, ctx) {
      record('observe', ctx.id);
      return targets.get(ctx.id);
    },
    diff(spec, actual) {
      if (actual?.value === spec.value) return [];
      return [{ path: 'spec.value', old: actual?.value, new: spec.value }];
    },
    async apply(spec, _actual, ctx) {
      record('apply', ctx.id);
      if (spec.fail) throw new Error(spec.fail);
      const actual = { value: spec.value };
      targets.set(ctx.id, actual);
      return actual;
    },
    async destroy(_spec, _actual, ctx) {
      record('destroy', ctx.id);
      targets.delete(ctx.id);
    },
    isDestructive: () => false,
    watch(_targets, onChange) {
      watchers.add(onChange);
      return { dispose: () => void watchers.delete(onChange) };
    },
  };
}
