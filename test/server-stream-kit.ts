/**
 * Hostile HTTP clients for the limits tests (test/server-limits.test.ts):
 * a streaming chunked upload that stops as soon as the server answers or
 * closes, a raw socket that sends headers slowly, and the memory of a
 * process read from /proc.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

export interface Streamed {
  /** The answer's status; undefined when the connection ended without one. */
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body bytes handed to the socket before the answer or the close. */
  sent: number;
  /** The socket error, if the connection failed before an answer came. */
  error?: string;
}

export interface StreamOptions {
  headers?: Record<string, string>;
  /** Sent at most this many bytes (the loop stops earlier when the server answers). */
  totalBytes: number;
  /** Declared length instead of chunked transfer encoding. */
  contentLength?: number;
  /** One write. Defaults to 64 KiB. */
  chunkBytes?: number;
  /** The body begins with these bytes (the rest is spaces). */
  prefix?: string;
  /** Stop after this many bytes and keep the request open until `release` resolves. */
  holdAt?: number;
  release?: Promise<void>;
}

/**
 * POSTs a body of up to `totalBytes`, written chunk by chunk with
 * backpressure; stops writing as soon as the answer arrives or the
 * connection closes, and resolves with what happened.
 */
export function streamUpload(url: string, path: string, options: StreamOptions): Promise<Streamed> {
  const u = new URL(path, url);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
  const req = request({
    host: u.hostname,
    port: u.port,
    path: u.pathname + u.search,
    method: 'POST',
    headers,
    agent: false,
  });
  const chunk = Buffer.alloc(options.chunkBytes ?? 64 * 1024, 0x20);
  const out: Streamed = { headers: {}, body: '', sent: 0 };
  let stopped = false;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of wakers) w();
    wakers.clear();
  };
  const settled = new Promise<Streamed>((resolve) => {
    req.on('response', (res) => {
      stopped = true;
      out.status = res.statusCode;
      out.headers = res.headers;
      wake();
      res.setEncoding('utf8');
      res.on('data', (d: string) => (out.body += d));
      res.on('end', () => {
        req.destroy();
        resolve(out);
      });
      res.on('error', () => resolve(out));
    });
    req.on('error', (err) => {
      stopped = true;
      out.error ??= err.message;
      wake();
      if (out.status === undefined) resolve(out);
    });
    req.on('close', () => {
      stopped = true;
      wake();
      if (out.status === undefined) resolve(out);
    });
  });
  const until = (event: 'drain') =>
    new Promise<void>((resolve) => {
      wakers.add(resolve);
      req.once(event, resolve);
    });
  void (async () => {
    if (options.prefix) {
      req.write(options.prefix);
      out.sent += Buffer.byteLength(options.prefix);
    }
    while (!stopped && out.sent < options.totalBytes) {
      if (options.holdAt !== undefined && out.sent >= options.holdAt) {
        await Promise.race([options.release, new Promise<void>((r) => wakers.add(r))]);
        break;
      }
      const ok = req.write(chunk);
      out.sent += chunk.length;
      if (!ok) await until('drain');
    }
    if (!stopped) req.end();
  })();
  return settled;
}

/**
 * Opens a connection and sends request headers one byte per `everyMs`, never
 * finishing them; resolves with what the server wrote when it closed the
 * connection, or with `cutOff: false` (closing it itself) after `maxBytes`
 * such bytes.
 */
export function slowHeaders(
  url: string,
  everyMs: number,
  maxBytes: number,
): Promise<{ answer: string; bytesSent: number; cutOff: boolean }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  const head = 'POST /api/v1/plans HTTP/1.1\r\nHost: x\r\nX-Slow: ';
  let answer = '';
  let bytesSent = 0;
  let cutOff = true;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (bytesSent >= maxBytes) {
          cutOff = false;
          socket.destroy();
          return;
        }
        socket.write('a');
        bytesSent++;
      }, everyMs);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, bytesSent, cutOff });
    });
  });
}

/** Resident and peak memory of a process (VmRSS and VmHWM), in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export const MiB = 1024 * 1024;
