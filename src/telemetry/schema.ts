/** The `telemetry:` block of setpoint.yaml: where `serve` exports spans. */
import * as z from 'zod';
import type { TracingConfig } from './tracing.js';

export const TelemetrySchema = z.strictObject({
  otlp: z
    .strictObject({
      endpoint: z
        .url()
        .describe(
          'Base URL of an OTLP/HTTP receiver (e.g. http://127.0.0.1:4318; /v1/traces is appended), or the full traces URL. Defaults to OTEL_EXPORTER_OTLP_ENDPOINT; without either, tracing is off.',
        ),
      headers: z
        .record(z.string(), z.string())
        .optional()
        .describe('Extra HTTP headers (gRPC metadata with grpc) on every export. Defaults to none.'),
      protocol: z
        .enum(['http/json', 'grpc'])
        .optional()
        .describe(
          'grpc: OTLP over gRPC (endpoint e.g. http://127.0.0.1:4317). Defaults to OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL when that is grpc, else http/json.',
        ),
    })
    .optional()
    .describe('OpenTelemetry export of a span per reconcile and per provider call. Defaults to off.'),
  serviceName: z
    .string()
    .optional()
    .describe('service.name of the spans (OTEL_SERVICE_NAME wins). Defaults to "setpoint".'),
  traceUrl: z
    .string()
    .regex(/^https?:\/\/.*\{traceId\}/, 'an http(s) URL containing {traceId}')
    .optional()
    .describe(
      'Where a trace can be looked at, with {traceId} in place of its id (e.g. http://127.0.0.1:16686/trace/{traceId}): the dashboard links each reconcile span to it. Defaults to no link.',
    ),
});

export type RawTelemetry = z.infer<typeof TelemetrySchema>;

export function tracingConfig(raw: RawTelemetry = {}): TracingConfig {
  return {
    endpoint: raw.otlp?.endpoint,
    headers: raw.otlp?.headers,
    protocol: raw.otlp?.protocol,
    serviceName: raw.serviceName,
    traceUrl: raw.traceUrl,
  };
}
