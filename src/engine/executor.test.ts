/**
 * The plan executor: dependency order, the global and per-kind bounds on
 * actions in flight (measured with real async delays), priorities among
 * ready actions, failures that stop only their dependents, and abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Action, Op } from '../plan/index.js';
import { execute, type ActionOutcome, type ExecuteOptions } from './executor.js';

function act(name: string, after: string[] = [], kind = 'File', op: Op = 'create'): Action {
  return { id: name, kind, op, changes: [], destructive: false, reason: '', after, pruned: undefined };
}

/** Records starts, ends and the number in flight (overall and per kind) of every perform. */
function recorder(delayOf: (a: Action) => number = () => 5) {
  const log: string[] = [];
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  let clock = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const byKind = new Map<string, number>();
  const maxByKind = new Map<string, number>();
  const perform = async (a: Action): Promise<string> => {
    started.set(a.id, clock++);
    log.push(`start ${a.id}`);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1);
    maxByKind.set(a.kind, Math.max(maxByKind.get(a.kind) ?? 0, byKind.get(a.kind)!));
    try {
      await sleep(delayOf(a));
      return `did ${a.id}`;
    } finally {
      inFlight--;
      byKind.set(a.kind, byKind.get(a.kind)! - 1);
      finished.set(a.id, clock++);
      log.push(`end ${a.id}`);
    }
  };
  return {
    perform,
    log,
    started,
    finished,
    get maxInFlight() {
      return maxInFlight;
    },
    maxByKind,
  };
}

const statusOf = (outcomes: ActionOutcome[]) =>
  Object.fromEntries(outcomes.map((o) => [o.action.id, o.status]));

describe('execute', () => {
  it('resolves at once with no outcomes for an empty plan', async () => {
    assert.deepEqual(
      await execute([], { parallelism: 4, perform: () => Promise.reject(new Error('never')) }),
      [],
    );
  });

  it('starts an action only after every action it waits for has finished', async () => {
    // a -> b -> d, a -> c -> d, e -> f; random delays shuffle completion order.
    const actions = [
      act('d', ['b', 'c']),
      act('b', ['a']),
      act('c', ['a']),
      act('a'),
      act('f', ['e']),
      act('e'),
    ];
    const rec = recorder(() => 1 + Math.floor(Math.random() * 15));
    const outcomes = await execute(actions, { parallelism: 8, perform: rec.perform });
    assert.equal(outcomes.length, 6);
    assert.ok(outcomes.every((o) => o.status === 'succeeded'));
    for (const a of actions) {
      for (const dep of a.after) {
        assert.ok(
          rec.finished.get(dep)! < rec.started.get(a.id)!,
          `${a.id} started before ${dep} finished: ${rec.log.join(', ')}`,
        );
      }
    }
    // Independent branches overlap: e starts before a finishes.
    assert.ok(rec.started.get('e')! < rec.finished.get('a')!, rec.log.join(', '));
  });

  it('never has more than `parallelism` actions in flight, and reaches that bound', async () => {
    const actions = Array.from({ length: 24 }, (_, i) => act(`r${i}`));
    const rec = recorder(() => 5 + Math.floor(Math.random() * 5));
    const outcomes = await execute(actions, { parallelism: 3, perform: rec.perform });
    assert.equal(outcomes.length, 24);
    assert.equal(rec.maxInFlight, 3);
  });

  it('runs one at a time with parallelism 1, in plan order', async () => {
    const rec = recorder(() => 2);
    await execute([act('a'), act('b'), act('c')], { parallelism: 1, perform: rec.perform });
    assert.deepEqual(rec.log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('caps a kind at its concurrency while other kinds use the rest of the slots', async () => {
    const actions = [
      ...Array.from({ length: 10 }, (_, i) => act(`p${i}`, [], 'Process')),
      ...Array.from({ length: 10 }, (_, i) => act(`f${i}`, [], 'File')),
    ];
    const rec = recorder(() => 10);
    const outcomes = await execute(actions, {
      parallelism: 6,
      perform: rec.perform,
      concurrencyOf: (kind) => (kind === 'Process' ? 2 : undefined),
    });
    assert.equal(outcomes.filter((o) => o.status === 'succeeded').length, 20);
    assert.equal(rec.maxByKind.get('Process'), 2);
    // File actions queued behind the capped Process ones still take the 4 free slots.
    assert.equal(rec.maxByKind.get('File'), 4);
    assert.equal(rec.maxInFlight, 6);
  });

  it('a failure skips its transitive dependents only; an independent branch completes', async () => {
    // a (fails) -> b -> c; a -> f; d -> e; f also waits on slow d.
    const actions = [
      act('a'),
      act('b', ['a']),
      act('c', ['b']),
      act('d'),
      act('e', ['d']),
      act('f', ['a', 'd']),
    ];
    const performed: string[] = [];
    const outcomes = await execute(actions, {
      parallelism: 4,
      perform: async (a) => {
        performed.push(a.id);
        if (a.id === 'a') {
          await sleep(2);
          throw new Error('permission denied writing /etc/a');
        }
        await sleep(a.id === 'd' ? 20 : 2);
        return `did ${a.id}`;
      },
    });
    assert.deepEqual(statusOf(outcomes), {
      a: 'failed',
      b: 'skipped',
      c: 'skipped',
      d: 'succeeded',
      e: 'succeeded',
      f: 'skipped',
    });
    assert.deepEqual(performed.sort(), ['a', 'd', 'e']);
    const byId = new Map(outcomes.map((o) => [o.action.id, o]));
    assert.equal(byId.get('a')!.message, 'permission denied writing /etc/a');
    assert.ok(byId.get('a')!.error instanceof Error);
    assert.equal(byId.get('b')!.message, 'skipped: a failed');
    assert.equal(byId.get('c')!.message, 'skipped: a failed');
    assert.equal(byId.get('f')!.message, 'skipped: a failed');
    assert.equal(byId.get('e')!.message, 'did e');
    assert.equal(outcomes.length, 6, 'each action has exactly one outcome');
  });

  it('keeps the message of a rejection that is not an Error', async () => {
    const outcomes = await execute([act('a')], {
      parallelism: 1,
      // A plug-in may reject with a plain string; the executor must still report it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      perform: () => Promise.reject('exit status 3'),
    });
    assert.equal(outcomes[0].status, 'failed');
    assert.equal(outcomes[0].message, 'exit status 3');
    assert.equal(outcomes[0].error, 'exit status 3');
  });

  it('takes ready actions by priority, lower numbers first, in plan order within a priority', async () => {
    const actions = [
      act('low1'),
      act('normal1'),
      act('critical1'),
      act('normal2'),
      act('critical2'),
      act('low2'),
    ];
    const priority: Record<string, number> = {
      critical1: 0,
      critical2: 0,
      normal1: 2,
      normal2: 2,
      low1: 3,
      low2: 3,
    };
    const rec = recorder(() => 1);
    await execute(actions, { parallelism: 1, perform: rec.perform, priorityOf: (id) => priority[id] });
    assert.deepEqual(
      rec.log.filter((l) => l.startsWith('start')).map((l) => l.slice(6)),
      ['critical1', 'critical2', 'normal1', 'normal2', 'low1', 'low2'],
    );
  });

  it('lets an action that becomes ready with a higher priority overtake those already waiting', async () => {
    const actions = [act('a'), act('b'), act('c'), act('urgent', ['a'])];
    const priority: Record<string, number> = { a: 1, b: 2, c: 2, urgent: 0 };
    const rec = recorder(() => 1);
    await execute(actions, { parallelism: 1, perform: rec.perform, priorityOf: (id) => priority[id] });
    assert.deepEqual(
      rec.log.filter((l) => l.startsWith('start')).map((l) => l.slice(6)),
      ['a', 'urgent', 'b', 'c'],
    );
  });

  it('on abort starts nothing new, lets actions in flight finish and marks the rest skipped', async () => {
    const controller = new AbortController();
    const actions = Array.from({ length: 8 }, (_, i) => act(`r${i}`));
    const rec = recorder(() => 20);
    const starts: string[] = [];
    const outcomes = await execute(actions, {
      parallelism: 2,
      signal: controller.signal,
      perform: rec.perform,
      onStart: (a) => {
        starts.push(a.id);
        if (a.id === 'r1') controller.abort();
      },
    });
    assert.deepEqual(starts, ['r0', 'r1']);
    assert.equal(outcomes.length, 8);
    assert.deepEqual(statusOf(outcomes), {
      r0: 'succeeded',
      r1: 'succeeded',
      r2: 'skipped',
      r3: 'skipped',
      r4: 'skipped',
      r5: 'skipped',
      r6: 'skipped',
      r7: 'skipped',
    });
    assert.ok(
      outcomes
        .filter((o) => o.status === 'skipped')
        .every((o) => o.message === 'interrupted before it started'),
    );
  });

  it('performs nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const rec = recorder();
    const outcomes = await execute([act('a'), act('b', ['a'])], {
      parallelism: 2,
      signal: controller.signal,
      perform: rec.perform,
    });
    assert.deepEqual(rec.log, []);
    assert.deepEqual(statusOf(outcomes), { a: 'skipped', b: 'skipped' });
  });

  it('does not perform noop actions, reports no outcome for them, and lets their dependents run', async () => {
    const actions = [
      act('srv', [], 'Directory', 'noop'),
      act('motd', ['srv']),
      act('banner', ['motd', 'srv']),
    ];
    const rec = recorder(() => 1);
    const outcomes = await execute(actions, { parallelism: 2, perform: rec.perform });
    assert.deepEqual(rec.log, ['start motd', 'end motd', 'start banner', 'end banner']);
    assert.deepEqual(statusOf(outcomes), { motd: 'succeeded', banner: 'succeeded' });
  });

  it('ignores dependencies on ids outside the plan and on the action itself', async () => {
    const rec = recorder(() => 1);
    const outcomes = await execute([act('a', ['not/in/plan', 'a'])], {
      parallelism: 1,
      perform: rec.perform,
    });
    assert.deepEqual(statusOf(outcomes), { a: 'succeeded' });
  });

  it('calls onStart once per performed action and onDone once per outcome, skips included', async () => {
    const events: string[] = [];
    const options: ExecuteOptions = {
      parallelism: 2,
      perform: async (a) => {
        if (a.id === 'a') throw new Error('no');
        return 'ok';
      },
      onStart: (a) => events.push(`start ${a.id}`),
      onDone: (o) => events.push(`${o.status} ${o.action.id}`),
    };
    const outcomes = await execute([act('a'), act('b', ['a']), act('c')], options);
    assert.deepEqual(events.filter((e) => e.startsWith('start')).sort(), ['start a', 'start c']);
    assert.deepEqual(events.filter((e) => !e.startsWith('start')).sort(), [
      'failed a',
      'skipped b',
      'succeeded c',
    ]);
    assert.ok(outcomes.every((o) => o.durationMs >= 0));
    assert.equal(outcomes.find((o) => o.action.id === 'b')!.durationMs, 0);
  });

  it('skips a held action without performing it, and its dependents with it, while others run', async () => {
    const rec = recorder(() => 1);
    const outcomes = await execute([act('a'), act('b', ['a']), act('c')], {
      parallelism: 2,
      perform: rec.perform,
      hold: (a) => (a.id === 'a' ? 'blocked by change window freeze' : undefined),
    });
    assert.deepEqual(rec.log, ['start c', 'end c']);
    assert.deepEqual(statusOf(outcomes), { a: 'skipped', b: 'skipped', c: 'succeeded' });
    const byId = new Map(outcomes.map((o) => [o.action.id, o.message]));
    assert.equal(byId.get('a'), 'blocked by change window freeze');
    assert.equal(byId.get('b'), 'skipped: waits for a (blocked by change window freeze)');
  });

  it('measures the duration of each performed action', async () => {
    const outcomes = await execute([act('a')], { parallelism: 1, perform: () => sleep(30).then(() => 'ok') });
    assert.ok(outcomes[0].durationMs >= 25, `took ${outcomes[0].durationMs} ms`);
  });
});
