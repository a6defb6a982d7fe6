/** The Hono application: error handling, authentication, every route module, /openapi.json, the dashboard. */
import { Hono } from 'hono';
import * as z from 'zod';
import type { ServerContext } from './context.js';
import { clientAddress } from './address.js';
import { closeAfterAnswer } from './body.js';
import { mountDashboard } from './dashboard.js';
import { errorResponse } from './errors.js';
import { openApiDocument } from './openapi.js';
import { Routes } from './route.js';
import { ROUTE_MODULES, type RouteModule } from './routes/index.js';

export function createApp(
  ctx: ServerContext,
  extensions: readonly RouteModule[] = [],
): { app: Hono; routes: Routes } {
  const app = new Hono();
  app.onError((err, c) => {
    const { status, body, headers } = errorResponse(err);
    if (status >= 500)
      ctx.logger.error({ err: err.message, method: c.req.method, path: c.req.path }, 'API request failed');
    return c.json(body, status, headers);
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'SETPOINT_NOT_FOUND',
          message: `no route ${c.req.method} ${c.req.path}`,
          hint: 'GET /openapi.json lists the routes',
        },
      },
      404,
    ),
  );
  // A body left unread (refused, or the caller not authenticated) ends its connection after the answer.
  app.use(async (c, next) => {
    await next();
    closeAfterAnswer(c);
  });
  const routes = new Routes(
    app,
    (c) => ctx.auth.authenticate(c.req.header('authorization'), clientAddress(c)),
    ctx.bodies,
    () => ctx.serve?.commandsWritten(),
  );
  for (const mount of [...ROUTE_MODULES, ...extensions]) mount(routes, ctx);
  let doc: Record<string, unknown> | undefined;
  routes.add({
    method: 'GET',
    path: '/openapi.json',
    tag: 'probes',
    summary: 'This API as an OpenAPI 3.1 document',
    auth: 'public',
    response: {
      schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
    },
    handler: (c) => c.json((doc ??= openApiDocument(routes.specs))),
  });
  // The web dashboard at / (after the API: its paths never shadow a route).
  mountDashboard(app);
  return { app, routes };
}
