/**
 * Request bodies, read with a cap: a declared Content-Length over the limit
 * is refused before a byte is read, a chunked body as soon as it passes the
 * limit, and all bodies being read together hold at most the in-flight
 * budget (else 503). A body left unread (refused, or not authenticated)
 * ends the connection: the answer is sent, the socket half-closed, and what
 * still arrives is discarded for a short while before the socket is closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { HttpError } from './errors.js';
import { BUSY_RETRY_AFTER_S, LINGER_BYTES, LINGER_MS } from './limits.js';

/** Bytes of request bodies held at once, across requests. */
export class BodyBudget {
  private used = 0;

  constructor(readonly totalBytes: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Holds `n` more bytes; false (nothing held) when that would pass the budget. */
  take(n: number): boolean {
    if (this.used + n > this.totalBytes) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

const bindings = (c: Context): NodeBindings => (c.env ?? {}) as NodeBindings;

/** 413; the connection is closed after the answer (see closeAfterAnswer). */
export const tooLarge = (message: string, hint?: string) =>
  new HttpError(413, 'SETPOINT_PAYLOAD_TOO_LARGE', message, hint);

/**
 * Reads the body (at most `maxBytes`, `what` names it in errors) and hands it
 * to `use`; its bytes count against `budget` until `use` has returned.
 */
export async function withBody<T>(
  c: Context,
  budget: BodyBudget,
  maxBytes: number,
  what: string,
  use: (body: Buffer) => T | Promise<T>,
): Promise<T> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes)
    throw tooLarge(
      `${what} declares ${declared} bytes; at most ${maxBytes} are accepted`,
      'send a smaller body',
    );
  let held = 0;
  const hold = (n: number): void => {
    if (!budget.take(n))
      throw new HttpError(
        503,
        'SETPOINT_BUSY',
        `the server is already reading ${budget.inUse} bytes of request bodies (at most ${budget.totalBytes} at once)`,
        `retry after ${BUSY_RETRY_AFTER_S}s`,
        { 'Retry-After': String(BUSY_RETRY_AFTER_S) },
      );
    held += n;
  };
  const over = () =>
    tooLarge(`${what} is larger than ${maxBytes} bytes; reading stopped there`, 'send a smaller body');
  try {
    const { incoming } = bindings(c);
    const body = incoming
      ? await readIncoming(incoming, maxBytes, hold, over)
      : await readWeb(c, maxBytes, hold, over);
    return await use(body);
  } finally {
    budget.give(held);
  }
}

function readIncoming(
  incoming: IncomingMessage,
  maxBytes: number,
  hold: (n: number) => void,
  over: () => Error,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: Error) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', finish);
      incoming.off('close', onClose);
      if (err === undefined) return resolve(Buffer.concat(chunks, size));
      incoming.pause(); // the rest stays unread until the answer is out (see closeAfterAnswer)
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        if (size + chunk.length > maxBytes) throw over();
        hold(chunk.length);
      } catch (err) {
        return finish(err as Error);
      }
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onClose = () => {
      if (!incoming.readableEnded)
        finish(new Error('the client closed the connection before the body was complete'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', finish);
    incoming.on('close', onClose);
  });
}

/** Without a Node request (in-process `app.request`): the same cap over the web stream. */
async function readWeb(
  c: Context,
  maxBytes: number,
  hold: (n: number) => void,
  over: () => Error,
): Promise<Buffer> {
  const reader = c.req.raw.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks, size);
      if (size + value.length > maxBytes) throw over();
      hold(value.length);
      size += value.length;
      chunks.push(value);
    }
  } catch (err) {
    void reader.cancel().catch(() => undefined);
    throw err;
  }
}

const LINGERING = Symbol('setpoint.lingering');

/**
 * When the request body was not read to its end (refused, too large, not
 * authenticated), the answer says `Connection: close` and the connection
 * ends after it. Node would close the socket at once, and closing with
 * unread bytes sends a reset that can erase the answer before the client
 * reads it; so the socket is half-closed, what still arrives is discarded
 * (up to LINGER_BYTES, for LINGER_MS at most) and then it is closed.
 */
export function closeAfterAnswer(c: Context): void {
  const { incoming, outgoing } = bindings(c);
  if (!incoming || !outgoing || incoming.complete) return;
  c.header('Connection', 'close');
  const socket = incoming.socket as (typeof incoming.socket & { [LINGERING]?: true }) | null;
  if (!socket || socket.destroyed || socket[LINGERING]) return;
  socket[LINGERING] = true;
  // Called by Node after a `Connection: close` answer is sent: only half-close.
  socket.destroySoon = function (this: typeof socket) {
    if (this.writable) this.end();
  };
  let discarded = 0;
  const close = () => socket.destroy();
  incoming.pause();
  incoming.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) close();
  });
  outgoing.once('finish', () => {
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    incoming.resume();
  });
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) close();
  });
}
