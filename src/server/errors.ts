/**
 * Errors as the HTTP API answers them: `{error: {code, message, hint}}` with
 * a status code that says what kind of problem it is.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SetpointError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
  diagnostics?: unknown[];
}

/** An error with its HTTP status; thrown by handlers and middleware, answered by the app's error handler. */
export class HttpError extends SetpointError {
  constructor(
    readonly status: ContentfulStatusCode,
    code: string,
    message: string,
    hint?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, code, { hint });
  }
}

/**
 * The status of SetpointError codes. A SetpointError is an explained problem
 * (with a hint), usually the request's: 400 unless listed here.
 */
const STATUS_OF: Record<string, ContentfulStatusCode> = {
  SETPOINT_NOT_FOUND: 404,
  SETPOINT_UNKNOWN_SOURCE: 404,
  SETPOINT_UNKNOWN_REVISION: 404,
  SETPOINT_APPROVAL_STALE: 409,
  SETPOINT_APPROVAL_NOT_PENDING: 409,
  SETPOINT_CONFLICT: 409,
  SETPOINT_STATE_LOCKED: 409,
  SETPOINT_NOT_PINNED: 409,
  SETPOINT_NO_ROLLOUT: 409,
  SETPOINT_ROLLOUT_STATE: 409,
  SETPOINT_NO_HISTORY: 409,
  SETPOINT_REVISION_REFUSED: 409,
  SETPOINT_PLAN_INVALID: 422,
  SETPOINT_BLAST_RADIUS: 422,
  // The server's own configuration or its dependencies, not the request.
  SETPOINT_ENROLL_REFUSED: 401,
  SETPOINT_FLEET_UNSIGNED: 503,
  SETPOINT_INTERNAL: 500,
  SETPOINT_SETTINGS_INVALID: 500,
  SETPOINT_PLUGIN_INVALID: 500,
  SETPOINT_SECRET_UNRESOLVED: 500,
  SETPOINT_PROVIDER_FAILED: 500,
  SETPOINT_APPLY_FAILED: 500,
  SETPOINT_TERMINAL: 500,
  SETPOINT_STATE_UNWRITABLE: 500,
  SETPOINT_GIT_FAILED: 502,
  SETPOINT_SIGNATURE_INVALID: 502,
  SETPOINT_SOURCE_UNREADABLE: 502,
  SETPOINT_SERVER_UNREACHABLE: 502,
};

/**
 * The one place the server maps anything thrown to a status, the JSON body
 * and extra headers: an HttpError's own status, a SetpointError's by its
 * code (400 unless listed), anything else 500 SETPOINT_INTERNAL (or its own
 * `SETPOINT_*` code, e.g. the work queue's).
 */
export function errorResponse(err: unknown): {
  status: ContentfulStatusCode;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  if (err instanceof SetpointError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, hint: err.hint } };
    if (err.diagnostics.length) body.diagnostics = err.diagnostics;
    if (err instanceof HttpError) return { status: err.status, body, headers: err.headers };
    return { status: STATUS_OF[err.code] ?? 400, body, headers: {} };
  }
  const e = err as { code?: unknown; message?: unknown; hint?: unknown };
  const code = typeof e?.code === 'string' && e.code.startsWith('SETPOINT_') ? e.code : 'SETPOINT_INTERNAL';
  return {
    status: STATUS_OF[code] ?? 500,
    body: {
      error: {
        code,
        message: typeof e?.message === 'string' ? e.message : String(err),
        hint: typeof e?.hint === 'string' ? e.hint : undefined,
      },
    },
    headers: {},
  };
}

export const unauthorized = (message: string, hint?: string) =>
  new HttpError(
    401,
    'SETPOINT_UNAUTHENTICATED',
    message,
    hint ?? 'send `Authorization: Bearer TOKEN` (create one with `setpoint token create`)',
    { 'WWW-Authenticate': 'Bearer realm="setpoint"' },
  );

export const forbidden = (message: string, hint?: string) =>
  new HttpError(403, 'SETPOINT_FORBIDDEN', message, hint);

export const notFound = (message: string, hint?: string) =>
  new HttpError(404, 'SETPOINT_NOT_FOUND', message, hint);

export const badRequest = (message: string, hint?: string) =>
  new HttpError(400, 'SETPOINT_BAD_REQUEST', message, hint);
