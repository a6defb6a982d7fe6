/**
 * Serve's span log: reconciles reach the store in batches with their
 * phases, revision and error; a repeated steady outcome is kept once per
 * REPEAT_EVERY_MS, anything that acted or failed always; a failed write is
 * logged and dropped.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import { SqliteStore } from '../../store/sqlite/index.js';
import type { ReconcileContext } from '../../telemetry/context.js';
import { createLogger } from '../../telemetry/index.js';
import { REPEAT_EVERY_MS, SpanLog } from './span-log.js';

const ID = 'File/default/motd';

function reconcile(o: Partial<ReconcileContext> = {}): ReconcileContext {
  return {
    reconcileId: Math.random().toString(16).slice(2, 10),
    resourceId: ID,
    revisionId: 'rev1',
    action: 'noop',
    phases: [{ name: 'observe', startMs: 0.1, durationMs: 1.5 }],
    ...o,
  };
}

describe('SpanLog', () => {
  it('writes reconciles with their phases, revision, action and error, newest first', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    const log = new SpanLog(store, createLogger({ level: 'silent' }));
    log.add(reconcile({ action: 'update' }), 'applied', '2026-01-01T00:00:00.000Z', 4.25);
    log.add(reconcile({ action: 'update', error: 'disk full' }), 'error', '2026-01-01T00:00:01.000Z', 2);
    assert.deepEqual(await store.listSpans(ID), [], 'buffered until flushed');
    await log.stop();
    const spans = await store.listSpans(ID);
    assert.deepEqual(
      spans.map((s) => [s.outcome, s.action, s.revisionId, s.error, s.durationMs, s.phases[0].name]),
      [
        ['error', 'update', 'rev1', 'disk full', 2, 'observe'],
        ['applied', 'update', 'rev1', undefined, 4.25, 'observe'],
      ],
    );
    assert.equal(spans[0].traceId, undefined, 'no trace id without a tracing exporter');
    await store.close();
  });

  it('keeps a repeated steady outcome once per interval, and every action', async () => {
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    let now = 1_000_000;
    const log = new SpanLog(store, createLogger({ level: 'silent' }), () => now);
    const at = () => new Date(now).toISOString();
    log.add(reconcile(), 'noop', at(), 1); // kept: the first
    now += 1000;
    log.add(reconcile(), 'noop', at(), 1); // dropped: the same again
    now += 1000;
    log.add(reconcile({ action: 'update' }), 'reported', at(), 1); // kept: another outcome
    now += 1000;
    log.add(reconcile({ action: 'update' }), 'reported', at(), 1); // dropped
    now += REPEAT_EVERY_MS;
    log.add(reconcile({ action: 'update' }), 'reported', at(), 1); // kept: the interval passed
    log.add(reconcile({ action: 'update' }), 'applied', at(), 1); // kept: it acted
    log.add(reconcile({ action: 'update' }), 'applied', at(), 1); // kept: it acted again
    log.add(reconcile(), 'noop', at(), 1); // kept: follows an action
    log.add(reconcile(), 'forgotten', at(), 1); // never: nothing of it to show
    await log.stop();
    assert.deepEqual((await store.listSpans(ID)).map((s) => s.outcome).reverse(), [
      'noop',
      'reported',
      'reported',
      'applied',
      'applied',
      'noop',
    ]);
    await store.close();
  });

  it('logs and drops a batch the store refuses, and never throws into the reconciles', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'silent' });
    logger.warn = ((obj: object, msg: string) => {
      lines.push(`${msg} ${JSON.stringify(obj)}`);
    }) as typeof logger.warn;
    const store = new SqliteStore(join(tempDir(), 'state.db'));
    await store.close();
    const log = new SpanLog(store, logger);
    log.add(reconcile({ action: 'create' }), 'applied', new Date().toISOString(), 1);
    await log.flush();
    assert.match(lines.join('\n'), /cannot write reconcile spans; these are dropped .*"spans":1/);
    lines.length = 0;
    await log.stop();
    assert.deepEqual(lines, [], 'the dropped batch is not tried again');
  });
});
