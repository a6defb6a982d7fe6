/**
 * The HTTP server as a runnable of `setpoint serve`: started first (probes
 * answer while the rest starts), drained (readyz says 503) and closed last.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { SetpointError, type Setpoint } from '../api/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Metrics } from '../telemetry/metrics.js';
import { createApp } from './app.js';
import { Authenticator } from './auth.js';
import type { ServeHandle, ServerContext } from './context.js';
import { FailureLimiter, type FailureLimiterOptions } from './rate-limit.js';
import type { RouteModule } from './routes/index.js';
import { WatchHub } from './watch-hub.js';
import { WatchSlots } from './watch-slots.js';
import { BodyBudget } from './body.js';
import { DeliveryLog } from './replay.js';
import {
  HEADERS_TIMEOUT_MS,
  IN_FLIGHT_BODY_BUDGET_BYTES,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  REQUEST_TIMEOUT_MS,
  TIMEOUT_CHECK_INTERVAL_MS,
  WATCH_STREAMS_PER_TOKEN,
  WATCH_STREAMS_TOTAL,
  WEBHOOK_REPLAY_MAX_ENTRIES,
  WEBHOOK_REPLAY_WINDOW_MS,
} from './limits.js';

export interface ApiServerOptions {
  api: Setpoint;
  /** HOST:PORT; port 0 picks a free port (see `url`). */
  listen: string;
  serve?: ServeHandle;
  metrics?: Metrics;
  logger: Logger;
  /** Failed-authentication limits per client address. Defaults to settings.server.authFailures. */
  authFailures?: FailureLimiterOptions;
  /** More endpoints (see routes/index.ts). */
  extensions?: readonly RouteModule[];
}

export interface ApiServer {
  /** http://HOST:PORT as bound (the real port when 0 was asked for). */
  url: string;
  host: string;
  port: number;
  app: Hono;
  context: ServerContext;
  /** Readiness goes to 503; everything else still answers. */
  drain(): void;
  /** Ends watch streams, stops accepting, closes connections (forcibly after 2 s). */
  close(): Promise<void>;
}

/** Raised when the address cannot be bound; `reason` is the system's code (EADDRINUSE, EACCES…). */
export class ListenError extends SetpointError {
  constructor(
    readonly address: string,
    readonly reason: string,
    message: string,
  ) {
    super(
      `cannot listen on ${address}: ${message}`,
      'SETPOINT_LISTEN_FAILED',
      'set server.listen in setpoint.yaml or --listen HOST:PORT (port 0 picks a free one), or --no-listen',
    );
  }
}

export function parseListen(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new SetpointError(
      `not an address: ${address}`,
      'SETPOINT_INVALID_ARGUMENT',
      'HOST:PORT, e.g. 127.0.0.1:7420 or [::1]:7420',
    );
  return { host: m[1] ?? m[2], port };
}

export function createContext(options: Omit<ApiServerOptions, 'listen' | 'extensions'>): ServerContext {
  const { api } = options;
  const limiter = new FailureLimiter(options.authFailures ?? api.settings.server.authFailures);
  const auth = new Authenticator(
    {
      activeTokens: () => api.activeTokens(),
      nodeByTokenHash: (hash) => api.nodeByTokenHash(hash),
      changeCounter: () => api.changeCounter(),
    },
    limiter,
  );
  return {
    api,
    serve: options.serve,
    metrics: options.metrics,
    logger: options.logger,
    auth,
    bodies: new BodyBudget(IN_FLIGHT_BODY_BUDGET_BYTES),
    watches: new WatchSlots(WATCH_STREAMS_PER_TOKEN, WATCH_STREAMS_TOTAL),
    deliveries: new DeliveryLog({
      windowMs: WEBHOOK_REPLAY_WINDOW_MS,
      maxEntries: WEBHOOK_REPLAY_MAX_ENTRIES,
    }),
    hub: new WatchHub(api, options.serve),
    draining: false,
  };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { host, port } = parseListen(options.listen);
  const context = createContext(options);
  const { app } = createApp(context, options.extensions);
  const server = createAdaptorServer({
    fetch: app.fetch,
    serverOptions: {
      // Slow clients (slowloris): headers and the whole request must arrive in time, checked every second.
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
  }) as Server;
  server.maxConnections = options.api.settings.server.maxConnections ?? MAX_CONNECTIONS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new ListenError(
          options.listen,
          err.code ?? 'unknown',
          err.code === 'EADDRINUSE' ? 'the address is in use' : err.message,
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `http://${shown}:${bound.port}`;
  options.logger.info({ url }, 'API listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    host: bound.address,
    port: bound.port,
    app,
    context,
    drain: () => {
      context.draining = true;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        context.draining = true;
        context.hub.close();
        const force = setTimeout(() => server.closeAllConnections(), 2_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
