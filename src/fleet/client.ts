/** The agent's side of the fleet protocol over HTTP (see docs/fleet.md for the routes). */
import { SetpointError } from '../errors.js';
import { KeepAliveClient, RequestAbortedError, type HttpAnswer } from './http.js';
import type { Enrolment } from './protocol.js';
import type { NodeSet } from './compile.js';
import type { ReportBatch } from './report.js';

/** The server could not be reached, or answered 5xx: the agent keeps enforcing and retries. */
export class ServerUnavailableError extends SetpointError {
  constructor(message: string, cause?: unknown) {
    super(message, 'SETPOINT_SERVER_UNREACHABLE', {
      hint: 'the agent keeps enforcing its last set and retries',
      cause,
    });
  }
}

/** The server refused the node's credential (401): revoked or unknown. */
export class NodeRefusedError extends SetpointError {
  constructor(message: string) {
    super(message, 'SETPOINT_UNAUTHENTICATED', {
      hint: 'the node was revoked or is unknown: enrol it again with a new --enroll-token',
    });
  }
}

export type SetPoll =
  (NodeSet & { rotate?: boolean }) | { unchanged: true; digest: string; rotate?: boolean };

/** A request's deadline; a long poll (`?wait=S`) gets S seconds more. */
const REQUEST_TIMEOUT_MS = 30_000;

export class FleetClient {
  private readonly http: KeepAliveClient;

  constructor(
    private readonly server: string,
    private token: string | undefined,
    private readonly name: string,
  ) {
    this.http = new KeepAliveClient(new URL(server));
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.http.close();
  }

  setToken(token: string): void {
    this.token = token;
  }

  /** One authenticated call; public for the agent's other links (node-gates.ts). */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const url = new URL(path, this.server);
    const wait = Number(url.searchParams.get('wait') ?? 0);
    let res: HttpAnswer;
    try {
      res = await this.http.request({
        method,
        url,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...extraHeaders,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: REQUEST_TIMEOUT_MS + (Number.isFinite(wait) ? wait * 1000 : 0),
        signal,
      });
    } catch (err) {
      if (err instanceof RequestAbortedError) throw err;
      throw new ServerUnavailableError(`cannot reach ${this.server}: ${(err as Error).message}`, err);
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (res.status >= 200 && res.status < 300) return json as T;
    const e = (json as { error?: { code?: string; message?: string; hint?: string } }).error;
    const message = `${method} ${path}: ${res.status} ${e?.message ?? text.slice(0, 200)}`;
    if (res.status === 401) throw new NodeRefusedError(message);
    // Busy (429), timed out waiting for the request (408, a loaded server), or failing: try again later.
    if (res.status >= 500 || res.status === 429 || res.status === 408)
      throw new ServerUnavailableError(message);
    throw new SetpointError(message, e?.code ?? 'SETPOINT_AGENT_REFUSED', e?.hint ?? 'see the server log');
  }

  /** `key`: the same on every retry, so a retry after a lost answer is not taken for another node. */
  enroll(
    input: {
      token: string;
      labels: Record<string, string>;
      facts: Record<string, unknown>;
      agentVersion: string;
    },
    key: string,
  ): Promise<Enrolment> {
    return this.call('POST', '/api/v1/fleet/enroll', { ...input, name: this.name }, undefined, {
      'idempotency-key': key,
    });
  }

  desired(digest: string | undefined, waitSeconds: number, signal?: AbortSignal): Promise<SetPoll> {
    const q = new URLSearchParams({ wait: String(waitSeconds), ...(digest ? { digest } : {}) });
    return this.call(
      'GET',
      `/api/v1/fleet/nodes/${encodeURIComponent(this.name)}/desired?${q}`,
      undefined,
      signal,
    );
  }

  report(batch: ReportBatch): Promise<{ accepted: boolean; duplicate: boolean }> {
    return this.call('POST', `/api/v1/fleet/nodes/${encodeURIComponent(this.name)}/reports`, batch);
  }

  rotate(): Promise<{ token: string }> {
    return this.call('POST', `/api/v1/fleet/nodes/${encodeURIComponent(this.name)}/rotate`, {});
  }
}
