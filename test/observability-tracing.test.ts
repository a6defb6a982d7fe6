/**
 * OpenTelemetry spans of a real `setpoint serve`, exported over OTLP/HTTP to
 * a real receiver on loopback: one `setpoint.reconcile` span per reconcile
 * with the resource id, revision id, action, result and reconcile id, a
 * child span per phase (observe, act, verify) and inside them a span per
 * provider call (resolve, observe, apply). The JSON log lines
 * of the same reconcile carry the same ids.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, startServe } from './helpers.js';
import { startReceiver, until, type Delivery } from './observability-kit.js';
import { FAST, fileDoc, project } from './serve-kit.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
  status?: { code?: number };
}

function spans(deliveries: readonly Delivery[]): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const d of deliveries) {
    const body = d.json as
      { resourceSpans?: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> } | undefined;
    for (const rs of body?.resourceSpans ?? []) for (const ss of rs.scopeSpans) out.push(...ss.spans);
  }
  return out;
}

const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value.stringValue;

describe('serve: tracing', () => {
  test('exports a span per reconcile with child spans per provider call, when telemetry.otlp.endpoint is set', async (t) => {
    const receiver = await startReceiver(t);
    const p = project(
      {},
      `${FAST}telemetry:\n  otlp: { endpoint: "${receiver.url}" }\nserver: { listen: false }\n`,
    );
    const motd = join(p.out, 'motd');
    p.write({ 'manifests/web.yaml': fileDoc('motd', motd, 'hello\n') });
    await startServe(t, p.dir, [], { env: { OTEL_BSP_SCHEDULE_DELAY: '100' } });
    await eventually(
      async () => (await p.record('File/default/motd'))?.sync === 'InSync',
      'the first convergence',
    );
    writeFileSync(motd, 'edited\n');
    await eventually(() => p.read(motd) === 'hello\n', 'the repair');

    const repair = await until(async () => {
      const all = spans(receiver.deliveries);
      return all.find(
        (s) =>
          s.name === 'setpoint.reconcile' &&
          attr(s, 'setpoint.action') === 'update' &&
          attr(s, 'setpoint.result') === 'applied',
      );
    }, 'the span of the repair to arrive');
    assert.ok(
      receiver.deliveries.every((d) => d.method === 'POST' && d.path === '/v1/traces'),
      'OTLP/HTTP to /v1/traces',
    );
    assert.equal(attr(repair, 'setpoint.resource.id'), 'File/default/motd');
    const revision = (await p.status()).find((r) => r.id === 'File/default/motd') as unknown as {
      lastAppliedRevision: string;
    };
    assert.equal(attr(repair, 'setpoint.revision.id'), revision.lastAppliedRevision);
    const reconcileId = attr(repair, 'setpoint.reconcile.id');
    assert.match(reconcileId ?? '', /^[0-9a-f]{8}$/);

    // The phases are the reconcile's children; provider calls sit inside the phase that makes them.
    const all = spans(receiver.deliveries);
    const phases = all.filter((s) => s.parentSpanId === repair.spanId);
    assert.deepEqual(
      phases.map((s) => s.name),
      ['setpoint.phase.observe', 'setpoint.phase.act', 'setpoint.phase.verify'],
    );
    const under = (phase: string) =>
      all.filter((s) => s.parentSpanId === phases.find((x) => x.name === phase)!.spanId).map((s) => s.name);
    assert.deepEqual(
      under('setpoint.phase.observe').filter((n) => n !== 'setpoint.provider.resolve'),
      ['setpoint.provider.observe'],
    );
    assert.deepEqual(under('setpoint.phase.act'), ['setpoint.provider.apply']);
    const children = all.filter((s) => phases.some((x) => x.spanId === s.parentSpanId));
    for (const name of ['setpoint.provider.observe', 'setpoint.provider.apply']) {
      const child = children.find((s) => s.name === name);
      assert.ok(child, `a ${name} child span`);
      assert.equal(child.traceId, repair.traceId);
      assert.equal(attr(child, 'setpoint.resource.id'), 'File/default/motd');
      assert.equal(attr(child, 'setpoint.reconcile.id'), reconcileId);
    }
    const first = spans(receiver.deliveries).find(
      (s) => s.name === 'setpoint.reconcile' && attr(s, 'setpoint.action') === 'create',
    );
    assert.equal(first && attr(first, 'setpoint.result'), 'applied', 'the creation has its span too');

    // The JSON log of that reconcile carries the same ids.
    const log = await until(async () => {
      const lines = readFileSync(p.path('.setpoint', 'setpoint.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return lines.find((l) => l.reconcileId === reconcileId && l.reason === 'Remediated');
    }, 'the log line of the repair');
    assert.equal(log.resourceId, 'File/default/motd');
    assert.equal(log.revisionId, revision.lastAppliedRevision);
  });
});
