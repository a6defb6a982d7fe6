/**
 * Every group of endpoints, mounted in this order. To add endpoints, write a module exporting `mount(routes, ctx)` that calls
 * `routes.add({...})` and list it here, or pass it in `extensions` when
 * starting the server: it is then authenticated, validated and in
 * /openapi.json like the rest.
 */
import type { ServerContext } from '../context.js';
import type { Routes } from '../route.js';
import * as alerts from './alerts.js';
import * as approvals from './approvals.js';
import * as debug from './debug.js';
import * as facts from './facts.js';
import * as fleet from './fleet.js';
import * as fleetGates from './fleet-gates.js';
import * as history from './history.js';
import * as operations from './operations.js';
import * as probes from './probes.js';
import * as resources from './resources.js';
import * as retention from './retention.js';
import * as rollouts from './rollouts.js';
import * as slos from './slos.js';
import * as tokens from './tokens.js';
import * as trends from './trends.js';
import * as watch from './watch.js';
import * as webhooks from './webhooks.js';

export type RouteModule = (routes: Routes, ctx: ServerContext) => void;

export const ROUTE_MODULES: RouteModule[] = [
  probes.mount,
  resources.mount,
  approvals.mount,
  history.mount,
  operations.mount,
  watch.mount,
  webhooks.mount,
  tokens.mount,
  alerts.mount,
  facts.mount,
  trends.mount,
  debug.mount,
  retention.mount,
  rollouts.mount,
  slos.mount,

  fleet.mount,
  fleetGates.mount,
];
