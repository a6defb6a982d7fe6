/**
 * POST /api/v1/webhooks/git: a Git push triggers a sync. No token: the
 * request must be signed with the secret of `server.webhook.secretRef`
 * (GitHub X-Hub-Signature-256, GitLab X-Gitlab-Token, or
 * X-Setpoint-Signature). A bad signature is refused (401) and counts as a
 * failed authentication of the sender's address. The body is capped at
 * WEBHOOK_BODY_MAX_BYTES while it streams; an unsigned request or a wrong
 * GitLab token is refused before it is read. A delivery seen within the
 * replay window (same delivery id, or same signed body) is refused (409).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ServerContext } from '../context.js';
import { HttpError, unauthorized } from '../errors.js';
import type { Routes } from '../route.js';
import { clientAddress } from '../address.js';
import { withBody } from '../body.js';
import { WEBHOOK_BODY_MAX_BYTES, WEBHOOK_REPLAY_WINDOW_MS } from '../limits.js';
import {
  deliveryIdOf,
  pushSummary,
  signatureOf,
  UNSIGNED_REASON,
  verifySignature,
  verifyToken,
} from '../webhook.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  const { api } = ctx;
  let syncing: Promise<void> = Promise.resolve();
  let queued = false;
  routes.add({
    method: 'POST',
    path: '/api/v1/webhooks/git',
    tag: 'webhooks',
    summary: 'Git push webhook: triggers a sync',
    description:
      'Signed with the shared secret of `server.webhook.secretRef`: GitHub (`X-Hub-Signature-256: sha256=HMAC`), GitLab (`X-Gitlab-Token: SECRET`) or generic (`X-Setpoint-Signature: sha256=HMAC-SHA256 of the body`). A bad or missing signature is refused (401), a payload over 1 MiB (413), a delivery already received within the last hour (409: same `X-GitHub-Delivery` / `X-Gitlab-Event-UUID` / `X-Setpoint-Delivery`, or the same signed body). Answered 202 at once; the sources are then fetched and admitted (as `setpoint sync`), audited as `sync.request` by `webhook:github|gitlab|generic` with the pushed ref and commit.',
    auth: 'public',
    rawBody: true,
    body: z
      .looseObject({})
      .describe('The push event payload (ref, after, repository) as the Git host sends it.'),
    errors: [
      { status: 401, description: 'The signature or token does not match the secret' },
      { status: 404, description: 'The webhook is not configured (server.webhook)' },
      { status: 409, description: 'A delivery replayed' },
      { status: 429, description: 'Too many deliveries' },
    ],
    response: { status: 202, schema: z.object({ accepted: z.literal(true), provider: z.string() }) },
    handler: async (c) => {
      const ref = api.settings.server.webhookSecret;
      if (!ref)
        throw new HttpError(
          404,
          'SETPOINT_WEBHOOK_DISABLED',
          'the Git webhook is not configured',
          'set server.webhook.secretRef in setpoint.yaml',
        );
      const address = clientAddress(c);
      const wait = ctx.auth.limiter.retryAfter(address);
      if (wait > 0)
        throw new HttpError(
          429,
          'SETPOINT_RATE_LIMITED',
          'too many refused webhook calls from this address',
          `retry after ${wait}s`,
          { 'Retry-After': String(wait) },
        );
      const header = (name: string) => c.req.header(name);
      const refuse = (verdict: { provider?: string; reason: string }) => {
        ctx.auth.limiter.fail(address);
        ctx.logger.warn({ address, provider: verdict.provider, reason: verdict.reason }, 'webhook refused');
        return unauthorized(
          `webhook refused: ${verdict.reason}`,
          'sign the body with the secret of server.webhook.secretRef',
        );
      };
      // Everything the headers can tell is checked before the body is read.
      const signature = signatureOf(header);
      if (!signature) throw refuse({ reason: UNSIGNED_REASON });
      const secret = await api.secrets.resolve(ref, api.settings.root);
      if (signature.provider === 'gitlab') {
        const verdict = verifyToken(signature, secret);
        if (!verdict.ok) throw refuse(verdict);
      }
      const { verdict, body } = await withBody(
        c,
        ctx.bodies,
        WEBHOOK_BODY_MAX_BYTES,
        'the webhook payload',
        (bytes) => ({ verdict: verifySignature(signature, bytes, secret), body: bytes }),
      ).catch((err: unknown) => {
        if (err instanceof HttpError && err.status === 413) ctx.auth.limiter.fail(address);
        throw err;
      });
      if (!verdict.ok) throw refuse(verdict);
      const delivery = deliveryIdOf(verdict.provider, header);
      const keys = [`sha256:${createHash('sha256').update(body).digest('hex')}`];
      if (delivery) keys.push(`${verdict.provider}:${delivery}`);
      const replayed = ctx.deliveries.admit(keys);
      if (replayed !== undefined) {
        ctx.logger.warn(
          { address, provider: verdict.provider, delivery, key: replayed },
          'webhook replay refused',
        );
        throw new HttpError(
          409,
          'SETPOINT_WEBHOOK_REPLAYED',
          `webhook refused: delivery ${delivery ?? '(no id)'} was already received (${replayed.startsWith('sha256:') ? 'the same signed body' : 'the same delivery id'}) within the last ${WEBHOOK_REPLAY_WINDOW_MS / 60_000} minutes`,
          'each push is accepted once; the source is fetched on its interval anyway',
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {
        payload = undefined;
      }
      const detail = {
        via: 'webhook',
        event: c.req.header('x-github-event') ?? c.req.header('x-gitlab-event'),
        ...pushSummary(payload),
      };
      // Answer at once (Git hosts time out after ~10 s); fetches run one after another, and pushes that
      // arrive while one waits to start share it.
      if (!queued) {
        queued = true;
        syncing = syncing.then(async () => {
          queued = false;
          try {
            const admissions = await api.sync(undefined, { actor: `webhook:${verdict.provider}`, detail });
            ctx.serve?.commandsWritten();
            ctx.logger.info(
              { provider: verdict.provider, ...detail, revisions: admissions.map((a) => a.revision.id) },
              'webhook: synced',
            );
          } catch (err) {
            ctx.logger.warn(
              { provider: verdict.provider, ...detail, err: (err as Error).message },
              'webhook: sync failed',
            );
          }
        });
      }
      return c.json({ accepted: true, provider: verdict.provider }, 202);
    },
  });
}
