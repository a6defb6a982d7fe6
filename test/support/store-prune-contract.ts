/** Retention, shared by every store's tests: prune deletes history older than its cutoffs (finished runs, resolved alerts only) and never the audit log. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord, Store } from '../../src/store/types.js';

const OLD = '2026-01-01T00:00:00.000Z';
const NEW = '2026-03-01T00:00:00.000Z';
const CUT = '2026-02-01T00:00:00.000Z';

const run = (id: string, startedAt: string, finished: boolean): RunRecord => ({
  id,
  command: 'apply',
  actor: 'ada',
  startedAt,
  ...(finished ? { finishedAt: startedAt } : {}),
  result: finished ? 'succeeded' : 'running',
  summary: {},
});

export function pruneContract(name: string, open: () => Promise<Store>): void {
  describe(`${name}: prune (retention)`, () => {
    it('deletes old events, finished runs, episodes, resolved alerts and SLI samples; keeps the rest and the audit chain', async () => {
      const store = await open();
      const event = (time: string, reason: string) => ({
        time,
        type: 'Normal' as const,
        reason,
        message: reason,
      });
      await store.appendEvents([event(OLD, 'old'), event(NEW, 'new')]);
      await store.putRun(run('old-done', OLD, true));
      await store.putRun(run('old-running', OLD, false));
      await store.putRun(run('new-done', NEW, true));
      await store.openEpisode({
        resourceId: 'File/default/a',
        kind: 'File',
        detectedAt: OLD,
        recordedAt: OLD,
      });
      const alert = (id: string, o: Record<string, unknown>) => ({
        id,
        fingerprint: id,
        rule: 'DriftDetected',
        severity: 'ticket' as const,
        state: 'resolved' as const,
        labels: {},
        annotations: {},
        activeAt: OLD,
        startsAt: OLD,
        lastEvaluatedAt: OLD,
        ...o,
      });
      await store.putAlerts([
        alert('aaaa0001', { resolvedAt: OLD }),
        alert('aaaa0002', { resolvedAt: NEW }),
        alert('aaaa0003', { state: 'firing' }),
      ]);
      await store.addSliSamples([
        { sli: 'x', minute: 10, good: 1, total: 1 },
        { sli: 'x', minute: 30, good: 1, total: 1 },
      ]);
      const span = (startedAt: string, reconcileId: string) => ({
        resourceId: 'File/default/a',
        reconcileId,
        outcome: 'noop',
        startedAt,
        durationMs: 1,
        phases: [],
      });
      await store.appendSpans([span(OLD, 'old'), span(NEW, 'new')]);
      await store.appendAudit([{ time: OLD, actor: 'ada', action: 'apply.create', result: 'ok' }]);

      const deleted = await store.prune({ events: CUT, runs: CUT, alerts: CUT, sliMinute: 20 });
      assert.deepEqual(deleted, {
        events: 1,
        violations: 0,
        spans: 1,
        runs: 1,
        driftEpisodes: 1,
        alerts: 1,
        sliSamples: 1,
      });
      assert.deepEqual(
        (await store.listEvents()).map((e) => e.reason),
        ['new'],
      );
      assert.deepEqual((await store.listRuns()).map((r) => r.id).sort(), ['new-done', 'old-running']);
      assert.deepEqual(await store.listEpisodes(), []);
      assert.deepEqual(
        (await store.listSpans('File/default/a')).map((x) => x.reconcileId),
        ['new'],
      );
      assert.deepEqual((await store.listAlerts({})).map((a) => a.id).sort(), ['aaaa0002', 'aaaa0003']);
      assert.deepEqual(
        (await store.listSliSamples('x', 0)).map((s) => s.minute),
        [30],
      );
      assert.equal((await store.listAudit()).length, 1);
      assert.equal((await store.verifyAudit()).ok, true);
      assert.deepEqual(
        await store.prune({ events: CUT, runs: CUT, alerts: CUT, sliMinute: 20 }),
        { events: 0, violations: 0, spans: 0, runs: 0, driftEpisodes: 0, alerts: 0, sliSamples: 0 },
        'a second prune finds nothing',
      );
      await store.close();
    });
  });
}
