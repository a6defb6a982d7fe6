/**
 * Git push webhooks: who sent it and whether it is signed with the shared
 * secret. GitHub signs the body with HMAC-SHA256 (`X-Hub-Signature-256:
 * sha256=HEX`); GitLab sends the secret itself (`X-Gitlab-Token`); anything
 * else signs like GitHub in `X-Setpoint-Signature: sha256=HEX`. Comparisons
 * are constant-time. The headers are looked at before the body is read, so
 * an unsigned request (or a wrong GitLab token) is refused without reading it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookProvider = 'github' | 'gitlab' | 'generic';

export type Verdict =
  { ok: true; provider: WebhookProvider } | { ok: false; provider?: WebhookProvider; reason: string };

export const GENERIC_SIGNATURE_HEADER = 'x-setpoint-signature';

/** `sha256=` + hex HMAC-SHA256 of the body: what a sender puts in X-Hub-Signature-256 or X-Setpoint-Signature. */
export function signBody(body: Uint8Array | string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** How a request is signed, read from its headers alone (before the body). */
export type Signature =
  { provider: 'gitlab'; token: string } | { provider: 'github' | 'generic'; hmac: string };

export const UNSIGNED_REASON =
  'the request is not signed (no X-Hub-Signature-256, X-Gitlab-Token or X-Setpoint-Signature header)';

/** The signature a request carries, or undefined when it carries none. */
export function signatureOf(header: (name: string) => string | undefined): Signature | undefined {
  const github = header('x-hub-signature-256');
  if (github !== undefined) return { provider: 'github', hmac: github };
  const gitlab = header('x-gitlab-token');
  if (gitlab !== undefined) return { provider: 'gitlab', token: gitlab };
  const generic = header(GENERIC_SIGNATURE_HEADER);
  if (generic !== undefined) return { provider: 'generic', hmac: generic };
  return undefined;
}

/** GitLab's token is the secret itself: checked before the body is read. */
export function verifyToken(sig: Signature & { provider: 'gitlab' }, secret: string): Verdict {
  return sameSecret(sig.token, secret)
    ? { ok: true, provider: 'gitlab' }
    : { ok: false, provider: 'gitlab', reason: 'X-Gitlab-Token does not match the secret' };
}

/** Checks a signature against the body (GitLab: the token). */
export function verifySignature(sig: Signature, body: Uint8Array, secret: string): Verdict {
  return sig.provider === 'gitlab'
    ? verifyToken(sig, secret)
    : hmacVerdict(sig.provider, sig.hmac, body, secret);
}

/** Checks a webhook request. `header` looks a header up (case-insensitive). */
export function verifyWebhook(
  header: (name: string) => string | undefined,
  body: Uint8Array,
  secret: string,
): Verdict {
  const sig = signatureOf(header);
  return sig ? verifySignature(sig, body, secret) : { ok: false, reason: UNSIGNED_REASON };
}

/** The delivery id a provider sends (not covered by the signature), if any. */
export function deliveryIdOf(
  provider: WebhookProvider,
  header: (name: string) => string | undefined,
): string | undefined {
  const name = DELIVERY_HEADER[provider];
  const id = header(name)?.trim();
  return id ? id.slice(0, 200) : undefined;
}

export const DELIVERY_HEADER: Record<WebhookProvider, string> = {
  github: 'x-github-delivery',
  gitlab: 'x-gitlab-event-uuid',
  generic: 'x-setpoint-delivery',
};

function hmacVerdict(
  provider: WebhookProvider,
  presented: string,
  body: Uint8Array,
  secret: string,
): Verdict {
  const expected = Buffer.from(signBody(body, secret), 'utf8');
  const got = Buffer.from(presented.trim().toLowerCase(), 'utf8');
  const ok = got.length === expected.length && timingSafeEqual(got, expected);
  return ok
    ? { ok: true, provider }
    : { ok: false, provider, reason: 'the HMAC-SHA256 signature of the body does not match' };
}

/** Constant-time equality of two secrets of any length (compares their digests). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/** What a push payload says, for the audit log (GitHub and GitLab share these fields). */
export function pushSummary(payload: unknown): Record<string, unknown> {
  if (!payload || typeof payload !== 'object') return {};
  const p = payload as Record<string, unknown>;
  const repo = p.repository as Record<string, unknown> | undefined;
  const out: Record<string, unknown> = {};
  if (typeof p.ref === 'string') out.ref = p.ref;
  if (typeof p.after === 'string') out.commit = p.after;
  else if (typeof p.checkout_sha === 'string') out.commit = p.checkout_sha;
  const name = repo?.full_name ?? repo?.path_with_namespace ?? repo?.name;
  if (typeof name === 'string') out.repository = name;
  return out;
}
