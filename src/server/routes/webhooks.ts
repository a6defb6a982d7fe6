/**
 * POST /api/v1/webhooks/git: a Git push triggers a sync. No token: the
 * request must be signed with the secret of `server.webhook.secretRef`
 * (GitHub X-Hub-Signature-256, GitLab X-Gitlab-Token, or
 * X-Setpoint-Signature). A bad signature is refused (401) and counts as a
 * failed authentication of the sender's address.
 */
import * as z from 'zod';
import type { ServerContext } from '../context.js';
import { HttpError, unauthorized } from '../errors.js';
import type { Routes } from '../route.js';
import { clientAddress } from '../address.js';
import { pushSummary, verifyWebhook } from '../webhook.js';

const MAX_PAYLOAD = 5 * 1024 * 1024;

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
      'Signed with the shared secret of `server.webhook.secretRef`: GitHub (`X-Hub-Signature-256: sha256=HMAC`), GitLab (`X-Gitlab-Token: SECRET`) or generic (`X-Setpoint-Signature: sha256=HMAC-SHA256 of the body`). A bad or missing signature is refused (401). Answered 202 at once; the sources are then fetched and admitted (as `setpoint sync`), audited as `sync.request` by `webhook:github|gitlab|generic` with the pushed ref and commit.',
    auth: 'public',
    rawBody: true,
    body: z
      .looseObject({})
      .describe('The push event payload (ref, after, repository) as the Git host sends it.'),
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
      if (Number(c.req.header('content-length') ?? 0) > MAX_PAYLOAD)
        throw new HttpError(413, 'SETPOINT_PAYLOAD_TOO_LARGE', `webhook payload over ${MAX_PAYLOAD} bytes`);
      const body = new Uint8Array(await c.req.arrayBuffer());
      if (body.length > MAX_PAYLOAD)
        throw new HttpError(413, 'SETPOINT_PAYLOAD_TOO_LARGE', `webhook payload over ${MAX_PAYLOAD} bytes`);
      const secret = await api.secrets.resolve(ref, api.settings.root);
      const verdict = verifyWebhook((name) => c.req.header(name), body, secret);
      if (!verdict.ok) {
        ctx.auth.limiter.fail(address);
        ctx.logger.warn({ address, provider: verdict.provider, reason: verdict.reason }, 'webhook refused');
        throw unauthorized(
          `webhook refused: ${verdict.reason}`,
          'sign the body with the secret of server.webhook.secretRef',
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
