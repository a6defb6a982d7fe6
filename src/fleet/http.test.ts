/**
 * The agent's keep-alive HTTP client against a real HTTP server: connections
 * are reused, a request that gets no answer fails at its deadline, an abort
 * ends it at once, a request on a kept-alive socket the server closed is
 * sent again on a new connection, and FleetClient turns failures into
 * ServerUnavailableError (the agent's backoff) and keeps aborts apart.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FleetClient, ServerUnavailableError } from './client.js';
import { KeepAliveClient, RequestAbortedError } from './http.js';

let server: Server;
let origin: URL;
const sockets = new Set<Socket>();
/** What the server does with the next requests (default: answer JSON with the request count). */
let behave: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
let requests = 0;

before(async () => {
  server = createServer((req, res) => {
    requests++;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (behave) return behave(req, res);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ n: requests, method: req.method, body }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('KeepAliveClient', () => {
  it('sends a body, reads the answer and reuses one connection', async () => {
    behave = undefined;
    const client = new KeepAliveClient(origin);
    const seen = new Set<number>();
    const port = (req: IncomingMessage) => seen.add(req.socket.remotePort ?? 0);
    server.on('request', port);
    const a = await client.request({
      method: 'POST',
      url: new URL('/x', origin),
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
      timeoutMs: 10_000,
    });
    const b = await client.request({ method: 'GET', url: new URL('/y', origin), timeoutMs: 10_000 });
    server.off('request', port);
    assert.equal(a.status, 200);
    assert.equal((JSON.parse(a.text) as { body: string }).body, '{"a":1}');
    assert.equal(b.status, 200);
    assert.equal(seen.size, 1, 'both requests on one kept-alive connection');
    client.close();
  });

  it('fails a request that gets no answer by its deadline, and ends one at once on abort', async () => {
    behave = () => undefined; // never answers
    const client = new KeepAliveClient(origin);
    await assert.rejects(
      client.request({ method: 'GET', url: new URL('/wait', origin), timeoutMs: 200 }),
      /no answer within/,
    );
    const abort = new AbortController();
    const pending = client.request({
      method: 'GET',
      url: new URL('/wait', origin),
      timeoutMs: 60_000,
      signal: abort.signal,
    });
    abort.abort();
    await assert.rejects(pending, RequestAbortedError);
    client.close();
  });

  it('sends a request again on a new connection when the kept-alive one was closed by the server', async () => {
    behave = undefined;
    const client = new KeepAliveClient(origin);
    const first = await client.request({ method: 'GET', url: new URL('/1', origin), timeoutMs: 10_000 });
    assert.equal(first.status, 200);
    // The next request on the reused socket: the server drops the connection without answering.
    let dropped = 0;
    behave = (req, res) => {
      if (dropped++ === 0) return req.socket.destroy();
      behave = undefined;
      res.end('{"again":true}');
    };
    const second = await client.request({ method: 'GET', url: new URL('/2', origin), timeoutMs: 10_000 });
    assert.equal(second.status, 200);
    assert.deepEqual(JSON.parse(second.text), { again: true });
    assert.equal(dropped, 2, 'the request reached the server twice: dropped once, then answered');
    client.close();
  });
});

describe('FleetClient over KeepAliveClient', () => {
  it('turns an unreachable server and a 5xx into ServerUnavailableError, and keeps an abort an abort', async () => {
    behave = (_req, res) => {
      res.statusCode = 503;
      res.end('{"error":{"message":"busy"}}');
    };
    const client = new FleetClient(origin.href, 'tok', 'n1');
    await assert.rejects(client.rotate(), ServerUnavailableError);
    behave = () => undefined;
    const abort = new AbortController();
    const poll = client.desired(undefined, 30, abort.signal);
    abort.abort();
    await assert.rejects(poll, (err: Error) => err.name === 'AbortError');
    client.close();
    const closed = new FleetClient('http://127.0.0.1:1', 'tok', 'n1');
    await assert.rejects(closed.rotate(), ServerUnavailableError);
    closed.close();
  });
});
