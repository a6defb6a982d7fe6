/**
 * The HTTP API of `setpoint serve`: a thin shell over the programmatic API
 * (../api.ts) with bearer-token auth and RBAC, server-sent events, a Git
 * push webhook, probes, metrics and an OpenAPI document.
 */
export {
  startApiServer,
  createContext,
  parseListen,
  ListenError,
  type ApiServer,
  type ApiServerOptions,
} from './listen.js';
export { createApp } from './app.js';
export { ROUTE_MODULES, type RouteModule } from './routes/index.js';
export type { Routes, RouteSpec } from './route.js';
export type { ServerContext, ServeHandle } from './context.js';
export { signBody, verifyWebhook } from './webhook.js';
