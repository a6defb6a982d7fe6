/**
 * Building blocks of the HTTP API tests (test/server-*.test.ts): a real
 * `setpoint serve --listen 127.0.0.1:0` per project, tokens made with the
 * real CLI, and real HTTP (fetch) against the bound address.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { startServe, type CliOptions, type Serving } from './helpers.js';
import type { Project } from './serve-kit.js';

export interface ApiServing extends Serving {
  /** http://127.0.0.1:PORT as serve printed it. */
  url: string;
}

/** Starts serve on a free loopback port; stopped by `owner`'s after hook (a test, or the describe block with `suiteOwner`). */
export async function startApi(
  owner: { after(fn: () => Promise<void>): void },
  p: Project,
  args: string[] = [],
  options: CliOptions = {},
): Promise<ApiServing> {
  const s = await startServe(owner, p.dir, ['--listen', '127.0.0.1:0', ...args], options);
  const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.stderr());
  assert.ok(m, `serve printed the API address:\n${s.stderr()}`);
  return { ...s, url: m[1] };
}

/** An owner whose cleanups run in the surrounding describe block's `after` hook (for servers shared by its tests); call it in the describe body, not in a hook. */
export function suiteOwner(): { after(fn: () => Promise<void>): void } {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return { after: (fn) => cleanups.push(fn) };
}

/** `setpoint token create` in the project; returns the token it printed. */
export function createToken(p: Project, name: string, role: string, namespaces: string[] = []): string {
  const r = p.ok([
    'token',
    'create',
    '--name',
    name,
    '--role',
    role,
    ...namespaces.flatMap((n) => ['--namespace', n]),
  ]);
  const token = r.stdout.trim();
  assert.match(token, /^spt_[A-Za-z0-9_-]{43}$/, 'the token alone on standard output');
  return token;
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string;
  method?: string;
  /** Sent as JSON (or as is when a string). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** One real HTTP request; the body parsed as JSON when it is JSON. */
export async function call<T = Record<string, unknown>>(
  url: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const method = options.method ?? (body !== undefined ? 'POST' : 'GET');
  const send = () => fetch(url + path, { method, headers, body });
  const res = await send().catch((err: Error & { cause?: { code?: string } }) => {
    // A kept-alive socket the server closed as it was reused (its 5 s idle
    // timeout racing a slow client on a loaded machine): a GET may be sent again.
    if (method === 'GET' && err.cause?.code === 'UND_ERR_SOCKET') return send();
    throw err;
  });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** The error body every failure answers with. */
export interface ErrorAnswer {
  error: { code: string; message: string; hint?: string };
}

export function assertError(a: Answer<unknown>, status: number, code: string): ErrorAnswer {
  assert.equal(a.status, status, `expected ${status} ${code}, got ${a.status}: ${a.text}`);
  const body = a.body as ErrorAnswer;
  assert.equal(body.error?.code, code, a.text);
  assert.equal(typeof body.error.message, 'string');
  return body;
}

/** A server-sent event stream, read as it comes. */
export interface SseReader {
  /** Messages so far: {event, data (parsed JSON), id}. */
  messages: SseMessage[];
  /** Waits for a message matching `pred` (among those already read, or arriving later). */
  waitFor(pred: (m: SseMessage) => boolean, what: string, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

export interface SseMessage {
  event: string;
  data: Record<string, unknown>;
  id?: string;
}

export async function openSse(
  url: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url + path, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  assert.equal(res.status, 200, await (res.status === 200 ? Promise.resolve('') : res.text()));
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const messages: SseMessage[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  let ended: Error | undefined;
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const m: Partial<SseMessage> & { lines: string[] } = { lines: [] };
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) m.event = line.slice(7);
            else if (line.startsWith('data: ')) m.lines.push(line.slice(6));
            else if (line.startsWith('id: ')) m.id = line.slice(4);
          }
          if (!m.event) continue; // a comment (keep-alive)
          messages.push({
            event: m.event,
            data: JSON.parse(m.lines.join('\n')) as Record<string, unknown>,
            id: m.id,
          });
          for (const l of listeners) l();
        }
      }
      ended = new Error('the stream ended');
    } catch (err) {
      ended = err as Error;
    }
    for (const l of listeners) l();
  })();
  return {
    messages,
    close: () => abort.abort(),
    waitFor: (pred, what, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(pred);
          if (hit) return done(() => resolve(hit));
          if (ended)
            return done(() =>
              reject(new Error(`SSE: ${what}: ${ended!.message}; got ${JSON.stringify(messages)}`)),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`SSE: timed out waiting for ${what}; got ${JSON.stringify(messages)}`)),
            ),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
        check();
      }),
  };
}

/** A File in a namespace (labelled with it); `approve` waits for approval before it is created. */
export function nsFile(
  ns: string,
  name: string,
  path: string,
  content: string,
  remediation?: 'auto' | 'alert' | 'approve',
): string {
  return [
    'kind: File',
    `metadata: { name: ${name}, namespace: ${ns}, labels: { team: ${ns} } }`,
    'spec:',
    `  path: ${path}`,
    `  content: ${JSON.stringify(content)}`,
    '  mode: "0644"',
    ...(remediation ? [`lifecycle: { remediation: ${remediation} }`] : []),
  ].join('\n');
}

/** Polls an async probe until it returns true; throws naming `what` after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await probe()) return;
      last = 'false';
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
