/**
 * The resource of exported spans and the join of logs to traces, on a real
 * `setpoint serve` exporting over OTLP/HTTP to a receiver on loopback:
 * OTEL_RESOURCE_ATTRIBUTES and the detected host are on the resource, and a
 * log line written during a reconcile names the trace and span it belongs to.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, startServe } from './helpers.js';
import { startReceiver, until, type Delivery } from './observability-kit.js';
import { FAST, fileDoc, project } from './serve-kit.js';

interface Attr {
  key: string;
  value: { stringValue?: string };
}
interface ResourceSpans {
  resource: { attributes: Attr[] };
  scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string; name: string }> }>;
}

const resourceSpans = (deliveries: readonly Delivery[]): ResourceSpans[] =>
  deliveries.flatMap((d) => (d.json as { resourceSpans?: ResourceSpans[] } | undefined)?.resourceSpans ?? []);

test('spans carry OTEL_RESOURCE_ATTRIBUTES and the detected host; log lines carry trace_id, span_id and hostname', async (t) => {
  const receiver = await startReceiver(t);
  const p = project(
    {},
    `${FAST}telemetry:\n  otlp: { endpoint: "${receiver.url}" }\nserver: { listen: false }\n`,
  );
  p.write({ 'manifests/web.yaml': fileDoc('motd', join(p.out, 'motd'), 'hello\n') });
  await startServe(t, p.dir, [], {
    env: {
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,service.namespace=platform',
    },
  });
  await eventually(
    async () => (await p.record('File/default/motd'))?.sync === 'InSync',
    'the first convergence',
  );
  const rs = await until(async () => resourceSpans(receiver.deliveries)[0], 'spans to arrive');
  const attrs = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
  assert.equal(attrs['deployment.environment'], 'test');
  assert.equal(attrs['service.namespace'], 'platform');
  assert.equal(attrs['service.name'], 'setpoint');
  assert.equal(attrs['host.name'], hostname());

  const spans = resourceSpans(receiver.deliveries).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  const log = await until(async () => {
    const lines = readFileSync(p.path('.setpoint', 'setpoint.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return lines.find((l) => l.resourceId === 'File/default/motd' && typeof l.trace_id === 'string');
  }, 'a log line of the reconcile with a trace id');
  assert.equal(log.hostname, hostname());
  await until(
    async () =>
      resourceSpans(receiver.deliveries)
        .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
        .some((s) => s.traceId === log.trace_id && s.spanId === log.span_id),
    `the span ${String(log.span_id)} of the log line among ${spans.length}+ exported spans`,
  );
});
