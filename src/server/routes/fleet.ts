/**
 * The fleet over HTTP. Agents (their node credential) enrol, long-poll their
 * own set and upload report batches; people list nodes, read a node's set,
 * make enrolment tokens, revoke nodes and ask for credential rotation.
 *
 * The long poll: GET .../desired?digest=D&wait=S answers at once when the
 * node's set is not D, else when it changes (a new revision) or after S
 * seconds with {unchanged: true}. One timer per server watches for new
 * revisions, whatever the number of waiting nodes.
 */
import type { Context } from 'hono';
import * as z from 'zod';
import * as C from '../../api/contract.js';
import type { CurrentDesired, ReportBatch } from '../../api/index.js';
import type { Principal } from '../../auth/index.js';
import { visible, type ServerContext } from '../context.js';
import { forbidden } from '../errors.js';
import type { NodeChange } from '../watch-hub.js';
import type { Routes } from '../route.js';

const REPORT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Wakes every waiting long poll when serve's desired state changes, or when
 * a rollout across nodes promotes or rolls back a node (its pins change).
 */
class RevisionWatch {
  private waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private seen: unknown;
  private seenPins: string | undefined;

  constructor(private readonly ctx: ServerContext) {}

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        if (this.waiters.size === 0) this.idle();
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
      if (!this.timer) {
        this.seen = this.ctx.serve?.current;
        this.seenPins = this.pins();
      }
      this.timer ??= setInterval(() => this.check(), 100);
      this.timer.unref();
    });
  }

  private check(): void {
    const now = this.ctx.serve?.current;
    const pins = this.pins();
    if (now === this.seen && pins === this.seenPins && !this.ctx.draining) return;
    this.seen = now;
    this.seenPins = pins;
    for (const w of [...this.waiters]) w();
  }

  /** The node rollouts' pins, as one comparable string ('' without rollouts). */
  private pins(): string {
    const rollouts = this.ctx.serve?.nodeRollouts?.() ?? [];
    return rollouts.length ? JSON.stringify(rollouts.map((r) => [r.record.id, r.record.pins])) : '';
  }

  private idle(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.seen = undefined;
    this.seenPins = undefined;
  }
}
const watches = new WeakMap<ServerContext, RevisionWatch>();

/** A compiled set's JSON, made once: nodes with the same set get the same bytes. */
const bodies = new WeakMap<object, Uint8Array<ArrayBuffer>>();
const encoder = new TextEncoder();
const JSON_TYPE = { 'content-type': 'application/json' };
function bodyOf(set: object): Uint8Array<ArrayBuffer> {
  let body = bodies.get(set);
  if (!body) bodies.set(set, (body = encoder.encode(JSON.stringify(set))));
  return body;
}

function current(ctx: ServerContext): CurrentDesired | undefined {
  const c = ctx.serve?.current;
  return c
    ? { desired: c.desired, revision: c.revision?.id ?? 'current', rollouts: ctx.serve?.nodeRollouts?.() }
    : undefined;
}

function ownNode(principal: Principal, name: string): void {
  if (principal.node !== name)
    throw forbidden(
      `node ${principal.node} may not act for node ${name}`,
      'a node reads and reports only for itself',
    );
}

const labels = z.record(z.string(), z.string());

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;

  /** Tells watch streams a node enrolled or reported; read only while someone watches. */
  const announce = async (name: string, change: NodeChange['change']): Promise<void> => {
    if (ctx.hub.size === 0) return;
    try {
      const n = await api.node(name, current(ctx));
      ctx.hub.publishNode({
        node: n.name,
        change,
        labels: n.labels,
        appliedRevision: n.appliedRevision,
        counts: n.counts,
        behind: n.behind,
        offline: n.offline,
        time: new Date().toISOString(),
      });
    } catch (err) {
      // The agent's request succeeded; a watcher missing one message is not its error.
      ctx.logger.warn({ node: name, err: (err as Error).message }, 'watch: node message not sent');
    }
  };

  // setpoint_nodes{state}: counted at each scrape, so it is never older than the scrape.
  const metrics = ctx.metrics;
  metrics?.onScrape(async () => {
    const counts: Record<string, number> = { online: 0, behind: 0, offline: 0, revoked: 0 };
    for (const n of await api.nodes(current(ctx)))
      counts[n.revokedAt ? 'revoked' : n.offline ? 'offline' : n.behind ? 'behind' : 'online']++;
    for (const [state, value] of Object.entries(counts)) metrics.nodes.set({ state }, value);
  });

  // --- the agent's side ---

  routes.add({
    method: 'POST',
    path: '/api/v1/fleet/enroll',
    tag: 'fleet',
    summary: 'Enrol a node with an enrolment token',
    description:
      "The answer holds the node's credential, shown this once and stored only as a sha256. The enrolment token's labels win over the agent's. Audited.",
    auth: 'public',
    response: { status: 201, schema: C.EnrolmentSchema },
    errors: [
      { status: 401, description: 'Unknown, expired or used-up enrolment token' },
      {
        status: 409,
        description:
          'A node of this name is enrolled (unless this is its agent retrying: the same Idempotency-Key, within 10 minutes, before its first report)',
      },
    ],
    body: z.strictObject({
      token: z.string().min(1),
      name: z.string().min(1),
      labels: labels.optional(),
      facts: z.record(z.string(), z.unknown()).optional(),
      agentVersion: z.string().optional(),
    }),
    handler: async (c, { body }) => {
      // The agent's retry of an enrolment whose answer it lost carries the same key.
      const key = c.req.header('idempotency-key');
      const enrolled = await api.enroll({ ...body, ...(key ? { key } : {}) });
      await announce(enrolled.name, 'enrolled');
      return c.json(enrolled, 201);
    },
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/fleet/nodes/:name/desired',
    tag: 'fleet',
    summary: "Get the node's own desired set (long poll)",
    description:
      'With digest=D: answers {unchanged: true} when the set is still D after wait seconds (at most 60), and the new set as soon as it changes.',
    auth: 'node',
    query: z.object({
      digest: z.string().optional(),
      wait: z.coerce.number().int().min(0).max(60).optional(),
    }),
    response: { schema: C.NodeSetPollSchema },
    handler: async (c: Context, { params, query, principal }) => {
      ownNode(principal, params.name);
      const deadline = Date.now() + (query.wait ?? 0) * 1000;
      let watch = watches.get(ctx);
      if (!watch) watches.set(ctx, (watch = new RevisionWatch(ctx)));
      for (;;) {
        const node = await api.touchNode(params.name);
        const rotate = node.rotateRequestedAt ? { rotate: true } : {};
        const now = current(ctx);
        const set = now ? api.setOfNode(node, now) : await api.nodeSet(params.name);
        if (node.rotateRequestedAt) return c.json({ ...set, ...rotate });
        if (set.digest !== query.digest) return c.body(bodyOf(set), 200, JSON_TYPE);
        const left = deadline - Date.now();
        if (left <= 0 || ctx.draining) return c.json({ unchanged: true, digest: set.digest, ...rotate });
        await watch.wait(left);
      }
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/fleet/nodes/:name/reports',
    tag: 'fleet',
    summary: "Upload a batch of the node's reports",
    description:
      'Status, events, drift episodes and audit entries. Idempotent by batch id: a retry is answered duplicate: true and changes nothing.',
    auth: 'node',
    maxBodyBytes: REPORT_MAX_BYTES,
    body: z.looseObject({
      id: z.string().min(1).max(200),
      createdAt: z.string(),
      agentVersion: z.string(),
      digest: z.string().optional(),
      revision: z.string().optional(),
      // The set the node holds and since when (agent clock): gates count only results observed after it.
      taken: z.object({ digest: z.string(), at: z.string() }).optional(),
      status: z
        .array(
          z.looseObject({
            id: z.string(),
            sync: z.string(),
            health: z.string(),
            observedAt: z.string().optional(),
            appliedAt: z.string().optional(),
          }),
        )
        .optional(),
      events: z.array(
        z.looseObject({ time: z.string(), type: z.string(), reason: z.string(), message: z.string() }),
      ),
      episodes: z.array(
        z.looseObject({
          resourceId: z.string(),
          kind: z.string(),
          detectedAt: z.string(),
          recordedAt: z.string(),
        }),
      ),
      audit: z.array(
        z.looseObject({ time: z.string(), actor: z.string(), action: z.string(), result: z.string() }),
      ),
      dropped: z.number().int().min(0),
    }),
    response: { schema: C.ReportAcceptedSchema },
    handler: async (c, { params, body, principal }) => {
      ownNode(principal, params.name);
      const accepted = await api.acceptNodeReport(params.name, body as unknown as ReportBatch);
      if (!accepted.duplicate) {
        // A rollout gate or step waiting on this node judges the report now (on this replica, if it leads).
        ctx.serve?.nodeReported?.(params.name);
        await announce(params.name, 'reported');
      }
      return c.json(accepted);
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/fleet/nodes/:name/rotate',
    tag: 'fleet',
    summary: "Rotate the node's own credential",
    description: 'The answer holds the new token; the old one stops working at once. Audited.',
    auth: 'node',
    response: { schema: z.object({ token: z.string() }) },
    handler: async (c, { params, principal }) => {
      ownNode(principal, params.name);
      return c.json(await api.rotateNodeToken(params.name));
    },
  });

  // --- people's side ---

  routes.add({
    method: 'GET',
    path: '/api/v1/nodes',
    tag: 'fleet',
    summary: 'List enrolled nodes',
    auth: 'viewer',
    response: { schema: C.itemsOf(C.NodeInfoSchema) },
    handler: async (c) => c.json({ items: await api.nodes(current(ctx)) }),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/nodes/:name',
    tag: 'fleet',
    summary: 'Get one node with the status of its resources',
    auth: 'viewer',
    response: { schema: C.NodeDetailSchema },
    handler: async (c, { params }) => c.json(await api.node(params.name, current(ctx))),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/nodes/:name/set',
    tag: 'fleet',
    summary: 'Get the set a node gets now (what render --node prints)',
    auth: 'viewer',
    response: { schema: C.NodeSetSchema },
    handler: async (c, { params }) => c.json(await api.nodeSet(params.name, current(ctx))),
  });

  routes.add({
    method: 'GET',
    path: '/api/v1/nodes/:name/events',
    tag: 'fleet',
    summary: 'List the events a node reported (what events --node prints)',
    description: 'The newest `limit` events its agent reported, oldest first.',
    auth: 'viewer',
    query: z.strictObject({
      resource: z.string().optional().describe('Only events of this resource id.'),
      limit: z.coerce.number().int().min(1).max(1000).optional().describe('Defaults to 50.'),
    }),
    response: { schema: C.itemsOf(C.EventSchema) },
    handler: async (c, { params, query, principal }) => {
      const events = await api.nodeEvents(params.name, query.resource, query.limit ?? 50);
      return c.json({ items: events.filter((e) => visible(principal, e.resourceId)) });
    },
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/nodes/enroll-tokens',
    tag: 'fleet',
    summary: 'Create an enrolment token',
    description:
      'Shown this once; stored as a sha256. Its labels go to every node that enrols with it. Audited.',
    auth: 'admin',
    body: z.strictObject({
      ttlMs: z.number().int().min(1000),
      labels: labels.optional(),
      uses: z.number().int().min(1).optional(),
    }),
    response: { status: 201, schema: C.CreatedEnrollTokenSchema },
    handler: async (c, { body, principal }) =>
      c.json(await api.createEnrollToken(body, { actor: principal.name }), 201),
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/nodes/:name/revoke',
    tag: 'fleet',
    summary: "Revoke a node's credential",
    description: 'Its agent is refused (401) from now on; enrol it again to bring it back. Audited.',
    auth: 'admin',
    response: { schema: C.NodeInfoSchema },
    handler: async (c, { params, principal }) =>
      c.json(await api.revokeNode(params.name, { actor: principal.name })),
  });

  routes.add({
    method: 'POST',
    path: '/api/v1/nodes/:name/rotate',
    tag: 'fleet',
    summary: "Ask a node's agent to rotate its credential",
    description: 'The agent rotates at its next contact (within seconds when online). Audited.',
    auth: 'admin',
    response: { schema: z.object({ requested: z.string() }) },
    handler: async (c, { params, principal }) => {
      await api.requestNodeRotation(params.name, { actor: principal.name });
      return c.json({ requested: params.name });
    },
  });
}
