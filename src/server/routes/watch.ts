/**
 * GET /api/v1/watch: server-sent events. `status` (a resource's sync, health
 * or message changed), `deleted`, `event` (with the event's sequence number
 * as the SSE id, so a reconnecting EventSource resumes with Last-Event-ID),
 * a `: keep-alive` comment every 15 s, and `overflow` before the stream ends
 * if the client reads too slowly; `node` when an enrolled node enrolled or
 * reported (unfiltered streams only). A token may hold WATCH_STREAMS_PER_TOKEN
 * streams (429 beyond), the server WATCH_STREAMS_TOTAL (503 beyond).
 */
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import * as z from 'zod';
import { namespaceOf } from '../../auth/index.js';
import { visible, type ServerContext } from '../context.js';
import { sequence, type Routes } from '../route.js';
import { WATCH_QUEUE_MAX_BYTES, WATCH_QUEUE_MAX_MESSAGES } from '../limits.js';
import { statusOf } from '../watch-hub.js';
import { WatchQueue } from '../watch-queue.js';

const HEARTBEAT_MS = 15_000;

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'GET',
    path: '/api/v1/watch',
    tag: 'watch',
    summary: 'Stream status changes and events (server-sent events)',
    description:
      'text/event-stream. At most 16 open streams per token (429 beyond) and 256 in all (503). Messages: `hello` (at start), `status` {id, sync, health, message, revision, time}, `deleted` {id}, `event` (an event record; the SSE id is its sequence number: reconnect with Last-Event-ID or ?after= to resume), `node` {node, change: enrolled|reported, labels, appliedRevision, counts, behind, offline, time} (streams without kind, namespace or resource filters), `overflow` (the client read too slowly; reconnect).',
    auth: 'viewer',
    query: z.strictObject({
      kind: z.string().optional(),
      namespace: z.string().optional(),
      resource: z.string().optional().describe('Only this resource id.'),
      snapshot: z
        .enum(['true', 'false'])
        .optional()
        .describe('true: first a `status` message per matching resource.'),
      after: sequence().optional().describe('Replay events after this sequence number first.'),
    }),
    response: { contentType: 'text/event-stream', description: 'server-sent events', schema: z.string() },
    handler: (c, { query, principal }) => {
      const resource = query.resource ? ctx.api.normalizeId(query.resource) : undefined;
      const lastId = c.req.header('last-event-id');
      const after = query.after ?? (lastId && /^\d+$/.test(lastId) ? Number(lastId) : undefined);
      const wants = (id: string | undefined): boolean => {
        if (!visible(principal, id)) return false;
        if (resource) return id === resource;
        if (query.kind && id?.split('/')[0] !== query.kind) return false;
        if (query.namespace && (id === undefined || namespaceOf(id) !== query.namespace)) return false;
        return true;
      };
      // Bounded per token and in all (429 / 503); the slot is held while the stream runs.
      const release = ctx.watches.take(principal.name);
      return streamSSE(c, (stream) => watchStream(stream).finally(release));
      async function watchStream(stream: SSEStreamingApi): Promise<void> {
        const queue = new WatchQueue(WATCH_QUEUE_MAX_MESSAGES, WATCH_QUEUE_MAX_BYTES);
        let wake: (() => void) | undefined;
        let done = false;
        const poke = () => wake?.();
        stream.onAbort(() => {
          done = true;
          release();
          poke();
        });
        const unsubscribe = await ctx.hub.subscribe({
          wants,
          afterSeq: after,
          send: (m) => {
            queue.push(m);
            poke();
          },
          closed: () => {
            done = true;
            poke();
          },
        });
        try {
          await stream.writeSSE({
            event: 'hello',
            data: JSON.stringify({ revision: ctx.serve?.status().revision, time: new Date().toISOString() }),
          });
          if (query.snapshot === 'true') {
            const { resources } = await ctx.api.status({
              kind: query.kind,
              namespace: query.namespace,
              ids: resource ? [resource] : undefined,
            });
            for (const r of resources)
              if (wants(r.id)) await stream.writeSSE({ event: 'status', data: JSON.stringify(statusOf(r)) });
          }
          while (!done && !queue.overflowed) {
            if (queue.length === 0) {
              let timer: NodeJS.Timeout | undefined;
              await new Promise<void>((resolve) => {
                wake = resolve;
                timer = setTimeout(resolve, HEARTBEAT_MS);
              });
              clearTimeout(timer);
              wake = undefined;
              if (done) break;
              if (queue.length === 0) {
                await stream.write(': keep-alive\n\n');
                continue;
              }
            }
            for (let m = queue.shift(); m && !done; m = queue.shift()) await stream.writeSSE(m);
          }
          if (queue.overflowed)
            await stream.writeSSE({
              event: 'overflow',
              data: JSON.stringify({
                message: `more than ${WATCH_QUEUE_MAX_MESSAGES} messages or ${WATCH_QUEUE_MAX_BYTES} bytes waited; reconnect (with Last-Event-ID) to resume`,
              }),
            });
        } finally {
          unsubscribe();
        }
      }
    },
  });
}
