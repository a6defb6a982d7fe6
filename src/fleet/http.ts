/**
 * The agent's HTTP client: one keep-alive connection pool over node:http(s),
 * not the global fetch. Loading undici (fetch) costs an agent several MB of
 * RSS and start-up time for the three kinds of request it makes; this is all
 * it needs. Every request has a deadline (fetch waited 300 s by default):
 * `timeoutMs` covers connecting, sending and reading the whole answer, so a
 * long poll gives its wait plus a margin.
 *
 * A keep-alive socket can be closed by the server just as a request is
 * written on it (the idle timeout race): such a request is sent once more on
 * a new connection, since nothing of it reached the server. Any other
 * failure is the caller's to retry (the agent's backoff).
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The caller aborted (its signal): not a failure of the server. */
export class RequestAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('the request was aborted');
  }
}

/** Error codes of a keep-alive socket the server had closed before the request reached it. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

export class KeepAliveClient {
  private readonly agent: http.Agent;
  private readonly secure: boolean;

  constructor(origin: URL) {
    this.secure = origin.protocol === 'https:';
    // The server's Keep-Alive timeout hint shortens the idle time of a socket (Node honours it).
    const options = { keepAlive: true, keepAliveMsecs: 15_000, maxFreeSockets: 4 };
    this.agent = this.secure ? new https.Agent(options) : new http.Agent(options);
  }

  async request(req: HttpRequest): Promise<HttpAnswer> {
    try {
      return await this.once(req);
    } catch (err) {
      if (err instanceof StaleSocketError) return this.once(req, true);
      throw err;
    }
  }

  /** Closes the pooled connections (idle ones at once). */
  close(): void {
    this.agent.destroy();
  }

  private once(r: HttpRequest, fresh = false): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (r.signal?.aborted) return reject(new RequestAbortedError());
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const send = this.secure ? https.request : http.request;
      const req = send(r.url, {
        method: r.method,
        headers,
        // A retry after a stale socket takes a new connection, not another pooled one.
        agent: fresh ? false : this.agent,
      });
      let settled = false;
      const finish = (err: Error | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        r.signal?.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(answer!);
      };
      const onAbort = () => finish(new RequestAbortedError());
      r.signal?.addEventListener('abort', onAbort, { once: true });
      const deadline = setTimeout(
        () => finish(new Error(`no answer within ${Math.round(r.timeoutMs / 1000)} s`)),
        r.timeoutMs,
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Nothing answered on a reused socket: the server had closed it; safe to send again.
        const stale = req.reusedSocket && !fresh && STALE_SOCKET.has(err.code ?? '');
        finish(stale ? new StaleSocketError(err) : err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => finish(err));
        res.on('aborted', () => finish(new Error('the server closed the connection mid-answer')));
        res.on('end', () =>
          finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.end(r.body);
    });
  }
}

class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}
