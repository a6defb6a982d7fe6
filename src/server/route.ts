/**
 * Route definitions: one object per endpoint (method, path, role, zod
 * schemas of the query and body, the handler) registered on the Hono app and
 * kept for the OpenAPI document, so the document names every route there is.
 * Other modules add endpoints the same way (see routes/index.ts).
 */
import type { Context, Hono } from 'hono';
import * as z from 'zod';
import { roleAllows, type Principal, type Role } from '../auth/index.js';
import { withBody, type BodyBudget } from './body.js';
import { badRequest, forbidden } from './errors.js';
import { parseJsonObject } from './json-body.js';
import { JSON_BODY_MAX_BYTES } from './limits.js';

/** The least role, public (no token), or node (an enrolled node's own credential only). */
export type Access = Role | 'public' | 'node';

export interface RouteInput<Q extends z.ZodType, B extends z.ZodType, A extends Access> {
  query: z.output<Q>;
  body: z.output<B>;
  params: Record<string, string>;
  /** The caller; undefined on public routes. */
  principal: A extends Role | 'node' ? Principal : Principal | undefined;
}

export interface RouteSpec<
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  A extends Access = Access,
> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Hono path syntax: /api/v1/resources/:kind/:namespace/:name */
  path: string;
  /** OpenAPI tag (the group in the document). */
  tag: string;
  summary: string;
  description?: string;
  /** The least role that may call it, or public (no token). */
  auth: A;
  query?: Q;
  body?: B;
  /** The success answer, for the document. Defaults to 200 application/json. */
  response?: { status?: number; description?: string; schema?: z.ZodType; contentType?: string };
  /** Error statuses it answers beyond those the document derives from auth, path and method (e.g. a webhook's 404 when disabled). */
  errors?: Array<{ status: number; description: string }>;
  /** Reads the raw body itself (webhooks: the signature covers the exact bytes). */
  rawBody?: boolean;
  /** Largest body accepted (413 beyond, while it streams). Defaults to JSON_BODY_MAX_BYTES. */
  maxBodyBytes?: number;
  handler(c: Context, input: RouteInput<Q, B, A>): Response | Promise<Response>;
}

export type Authorize = (c: Context) => Promise<Principal>;

export class Routes {
  readonly specs: RouteSpec[] = [];

  constructor(
    private readonly app: Hono,
    private readonly authenticate: Authorize,
    /** Request bodies being read hold their bytes against it. */
    private readonly bodies: BodyBudget,
    /** Called after each POST/DELETE (serve reads the commands it may have written). */
    private readonly afterMutation: () => void = () => undefined,
  ) {}

  add<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, A extends Access = Access>(
    spec: RouteSpec<Q, B, A>,
  ): void {
    this.specs.push(spec);
    this.app.on(spec.method, spec.path, async (c) => {
      // Authenticated before a byte of the body is read.
      let principal: Principal | undefined;
      if (spec.auth !== 'public') {
        principal = await this.authenticate(c);
        if (spec.auth === 'node' || principal.node) {
          if (spec.auth !== 'node' || !principal.node)
            throw forbidden(
              principal.node
                ? `node ${principal.node} may call only the agent's routes`
                : `${spec.summary.toLowerCase()} is for enrolled nodes (their own credential)`,
              principal.node ? 'use an API token for other calls' : 'run `setpoint agent` on the node',
            );
        } else if (!roleAllows(principal.role, spec.auth))
          throw forbidden(
            `token ${principal.name} (role ${principal.role}) may not ${spec.summary.toLowerCase()}: that needs role ${spec.auth}`,
            'ask an admin for a token with that role',
          );
      }
      const query = spec.query ? parse(spec.query, queryObject(c), 'query') : {};
      const body =
        spec.body && !spec.rawBody
          ? await withBody(
              c,
              this.bodies,
              spec.maxBodyBytes ?? JSON_BODY_MAX_BYTES,
              'the request body',
              (bytes) => parse(spec.body!, parseJsonObject(bytes), 'body'),
            )
          : undefined;
      const response = await spec.handler(c, { query, body, params: c.req.param(), principal } as RouteInput<
        Q,
        B,
        A
      >);
      if (spec.method !== 'GET') this.afterMutation();
      return response;
    });
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw badRequest(
      `invalid request ${where}: ${z.prettifyError(r.error).replace(/\n\s*/g, '; ')}`,
      'the OpenAPI document (/openapi.json) describes each endpoint',
    );
  return r.data;
}

/** Query parameters: one value as a string, repeated ones as a list. */
function queryObject(c: Context): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(c.req.queries())) out[k] = v.length === 1 ? v[0] : v;
  return out;
}

/** A query parameter that may be repeated: always a list after parsing. */
export const repeated = () =>
  z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

/** A whole number in a query string. */
export const count = (max: number) => z.coerce.number().int().min(1).max(max);

/** A sequence number in a query string (events, audit entries). */
export const sequence = () => z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
