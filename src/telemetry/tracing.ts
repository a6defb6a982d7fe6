/**
 * OTLP/HTTP export of spans, when configured: `telemetry.otlp.endpoint` in
 * setpoint.yaml, else the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
 * OTEL_EXPORTER_OTLP_ENDPOINT variables. Off otherwise, and then the SDK is
 * never even loaded (it is imported on demand), so an untraced serve pays
 * nothing for it.
 */
import { importModule } from '../util/import-module.js';
import { setTracingEnabled } from './trace.js';

export interface TracingConfig {
  /** Base URL of an OTLP/HTTP receiver (`/v1/traces` is appended), or the full traces URL. */
  endpoint?: string;
  /** Extra headers on every export (e.g. an API key). */
  headers?: Record<string, string>;
  /** service.name of the spans. Defaults to "setpoint". */
  serviceName?: string;
  /** Defaults to OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL when grpc, else http/json. */
  protocol?: 'http/json' | 'grpc';
  /** A link to a trace in a tracing UI, with `{traceId}` in place of its id. Defaults to none. */
  traceUrl?: string;
}

/** The OTLP transport: the settings, else the standard variables (only grpc changes it). */
export function tracingProtocol(
  config: TracingConfig | undefined,
  env: NodeJS.ProcessEnv,
): 'http/json' | 'grpc' {
  if (config?.protocol) return config.protocol;
  return (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL) === 'grpc'
    ? 'grpc'
    : 'http/json';
}

type SpanExporterLike = import('@opentelemetry/sdk-trace-node').SpanExporter;

/** OTLP over gRPC, loaded only when asked for. Settings headers become gRPC metadata. */
async function grpcExporter(config: TracingConfig | undefined): Promise<SpanExporterLike> {
  const [{ OTLPTraceExporter }, { Metadata }] = await Promise.all([
    importModule<typeof import('@opentelemetry/exporter-trace-otlp-grpc')>(
      '@opentelemetry/exporter-trace-otlp-grpc',
    ).then(commonJs),
    importModule<typeof import('@grpc/grpc-js')>('@grpc/grpc-js').then(commonJs),
  ]);
  let metadata: InstanceType<typeof Metadata> | undefined;
  if (config?.headers) {
    metadata = new Metadata();
    for (const [k, v] of Object.entries(config.headers)) metadata.set(k, v);
  }
  return new OTLPTraceExporter({ url: config?.endpoint, metadata });
}

export interface Tracing {
  /** Where spans go. */
  readonly endpoint: string;
  readonly protocol: 'http/json' | 'grpc';
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Whether spans should be exported: an endpoint in the settings or the environment. */
export function tracingConfigured(
  config: TracingConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return (
    Boolean(config?.endpoint || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) &&
    env.OTEL_SDK_DISABLED !== 'true'
  );
}

/** The traces URL for a configured endpoint: a base URL gets `/v1/traces`. */
export function tracesUrl(endpoint: string): string {
  return /\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts exporting spans (batched) and turns span creation on. Returns
 * undefined when nothing is configured.
 */
export async function startTracing(
  config: TracingConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing | undefined> {
  if (!tracingConfigured(config, env)) return undefined;
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes, detectResources, envDetector, hostDetector, osDetector, processDetector },
    { VERSION },
  ] = await Promise.all([
    importModule<typeof import('@opentelemetry/sdk-trace-node')>('@opentelemetry/sdk-trace-node').then(
      commonJs,
    ),
    importModule<typeof import('@opentelemetry/exporter-trace-otlp-http')>(
      '@opentelemetry/exporter-trace-otlp-http',
    ).then(commonJs),
    importModule<typeof import('@opentelemetry/resources')>('@opentelemetry/resources').then(commonJs),
    import('../version.js'),
  ]);
  // Settings win over the environment; without a URL the exporter reads the OTEL_* variables itself.
  const protocol = tracingProtocol(config, env);
  const url =
    protocol === 'grpc' ? config?.endpoint : config?.endpoint ? tracesUrl(config.endpoint) : undefined;
  const exporter =
    protocol === 'grpc'
      ? await grpcExporter(config)
      : new OTLPTraceExporter({ url, headers: config?.headers });
  const provider = new NodeTracerProvider({
    // host.*, os.*, process.* detected; OTEL_RESOURCE_ATTRIBUTES (envDetector) wins over them,
    // and OTEL_SERVICE_NAME / the settings' serviceName win over everything.
    resource: detectResources({ detectors: [hostDetector, osDetector, processDetector, envDetector] }).merge(
      resourceFromAttributes({
        'service.name': env.OTEL_SERVICE_NAME ?? config?.serviceName ?? 'setpoint',
        'service.version': VERSION,
      }),
    ),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  setTracingEnabled(true);
  return {
    protocol,
    endpoint:
      url ??
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (protocol === 'grpc'
        ? (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '')
        : tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '')),
    async shutdown() {
      setTracingEnabled(false);
      await provider.shutdown();
    },
  };
}

/**
 * The exports of a CommonJS package loaded with import(): Node gives them as
 * named exports (and `default`), the bundled CLI only as `default`.
 */
function commonJs<T extends object>(mod: T): T {
  return (mod as { default?: T }).default ?? mod;
}
