/**
 * OTLP over gRPC: with `telemetry.otlp.protocol: grpc`, a real `setpoint
 * serve` exports its spans to a real gRPC server on loopback (the OTLP trace
 * service, answered by @grpc/grpc-js), with the settings' headers as gRPC
 * metadata.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { eventually, startServe } from './helpers.js';
import { until } from './observability-kit.js';
import { FAST, fileDoc, project } from './serve-kit.js';

const bytes = (b: Buffer) => b;

test('serve exports spans over OTLP/gRPC when telemetry.otlp.protocol is grpc', async (t) => {
  const requests: Array<{ body: Buffer; metadata: grpc.Metadata }> = [];
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: bytes,
        requestDeserialize: bytes,
        responseSerialize: bytes,
        responseDeserialize: bytes,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        requests.push({ body: call.request, metadata: call.metadata });
        done(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  t.after(() => server.forceShutdown());

  const p = project(
    {},
    `${FAST}telemetry:\n  otlp: { endpoint: "http://127.0.0.1:${port}", protocol: grpc, headers: { x-team: platform } }\nserver: { listen: false }\n`,
  );
  p.write({ 'manifests/web.yaml': fileDoc('motd', join(p.out, 'motd'), 'hello\n') });
  await startServe(t, p.dir, [], { env: { OTEL_BSP_SCHEDULE_DELAY: '100' } });
  await eventually(
    async () => (await p.record('File/default/motd'))?.sync === 'InSync',
    'the first convergence',
  );
  const req = await until(
    async () => requests.find((r) => r.body.includes('setpoint.reconcile')),
    'a gRPC export with the reconcile span',
  );
  // Protobuf keeps strings as UTF-8 bytes: the span name, the resource id and the service name are there.
  assert.ok(req.body.includes('File/default/motd'));
  assert.ok(req.body.includes('setpoint'));
  assert.deepEqual(req.metadata.get('x-team'), ['platform']);
});
