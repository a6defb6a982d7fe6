/** What the HTTP server's routes work with. */
import type { Context } from 'hono';
import { inScope, namespaceOf, type Principal } from '../auth/index.js';
import type { Setpoint } from '../api/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Authenticator } from './auth.js';
import type { BodyBudget } from './body.js';
import type { DeliveryLog } from './replay.js';
import type { WatchSlots } from './watch-slots.js';
import { KIND_PATTERN, NAME_PATTERN } from '../manifest/index.js';
import { badRequest, forbidden } from './errors.js';
import type { WatchHub } from './watch-hub.js';

export type { ServeHandle } from './serve-handle.js';
import type { ServeHandle } from './serve-handle.js';

export interface ServerContext {
  api: Setpoint;
  /** The controller, when the server runs inside `setpoint serve`. */
  serve?: ServeHandle;
  metrics?: Metrics;
  logger: Logger;
  auth: Authenticator;
  /** Bytes of request bodies being read, across requests (IN_FLIGHT_BODY_BUDGET_BYTES). */
  bodies: BodyBudget;
  /** Open watch streams per token. */
  watches: WatchSlots;
  /** Webhook deliveries seen recently (replays are refused). */
  deliveries: DeliveryLog;
  hub: WatchHub;
  /** Set when stopping began: /readyz answers 503 while probes still answer. */
  draining: boolean;
}

/**
 * The resource id a URL names with `:kind/:namespace/:name`. Refused (400)
 * when a part cannot be part of an id (`..`, an encoded slash, an empty or
 * odd name): such a URL names nothing, whoever asks.
 */
export function resourceIdParam(params: Record<string, string>): string {
  const { kind = '', namespace = '', name = '' } = params;
  const id = `${kind}/${namespace}/${name}`;
  const bad = !KIND_PATTERN.test(kind)
    ? `the kind ${JSON.stringify(kind)} is not a capitalised word`
    : [namespace, name].find((part) => !NAME_PATTERN.test(part)) !== undefined
      ? `${JSON.stringify(NAME_PATTERN.test(namespace) ? name : namespace)} is not a name (letters, digits, '.', '_' or '-', starting and ending with a letter or digit)`
      : undefined;
  if (bad)
    throw badRequest(
      `not a resource id: ${id}: ${bad}`,
      'ids are Kind/namespace/name, e.g. File/default/motd',
    );
  return id;
}

/** Refuses (403) when the resource id's namespace is outside the caller's scope; (400) when it is not an id. */
export function requireScope(p: Principal, id: string): void {
  const ns = namespaceOf(id);
  if (ns === undefined) throw badRequest(`not a resource id: ${id}`, 'ids are Kind/namespace/name');
  if (!inScope(p, ns))
    throw forbidden(
      `token ${p.name} may not see or act on ${id}: it is scoped to namespace${p.namespaces.length === 1 ? '' : 's'} ${p.namespaces.join(', ')}`,
    );
}

/** Refuses tokens scoped to namespaces: `what` (e.g. "pin a source") reaches beyond any namespace, for the reason `why`. */
export function requireUnscoped(p: Principal, what: string, why = 'it affects every namespace'): void {
  if (p.namespaces.length > 0)
    throw forbidden(
      `token ${p.name} is scoped to namespaces (${p.namespaces.join(', ')}) and may not ${what}: ${why}`,
      'use a token without --namespace',
    );
}

/** True when the caller may see an entry about `resourceId` (entries about no resource: unscoped callers only). */
export function visible(p: Principal, resourceId: string | undefined): boolean {
  if (p.namespaces.length === 0) return true;
  const ns = resourceId ? namespaceOf(resourceId) : undefined;
  return ns !== undefined && inScope(p, ns);
}

/** JSON with the status; a shorthand for handlers. */
export function json(c: Context, value: unknown, status: 200 | 201 | 202 = 200): Response {
  return c.json(value as object, status);
}
