/**
 * The dashboard's only way to the server: /api/v1 with the bearer token.
 * Failures become ApiError with the server's code, message and hint, so a
 * view can say what went wrong (401: sign in again, 403: not your role).
 */
import type { Role } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** A sentence for the person looking at the screen. */
  explain(): string {
    if (this.status === 401) return `Not signed in: ${this.message}. Sign in again with a valid token.`;
    if (this.status === 403) return `Not allowed: ${this.message}.`;
    if (this.status === 0) return `The server cannot be reached: ${this.message}.`;
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

type Listener = (err: ApiError) => void;
const unauthorizedListeners = new Set<Listener>();

/** Called on every 401 (the token was revoked, or is wrong): the app signs out. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export class Api {
  constructor(readonly token: string) {}

  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error;
      const err = new ApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? res.statusText,
        e?.hint,
      );
      if (res.status === 401) for (const l of unauthorizedListeners) l(err);
      throw err;
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, approver: 2, admin: 3 };

/** Whether a role may do what needs `least` (viewer < operator < approver < admin). */
export function allows(role: Role | undefined, least: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[least];
}

/** Path of a resource's debug page and API record. */
export function resourcePath(id: string): string {
  return id
    .split('/')
    .map((p) => encodeURIComponent(p))
    .join('/');
}
