/**
 * Git push webhooks: who sent it and whether it is signed with the shared
 * secret. GitHub signs the body with HMAC-SHA256 (`X-Hub-Signature-256:
 * sha256=HEX`); GitLab sends the secret itself (`X-Gitlab-Token`); anything
 * else signs like GitHub in `X-Setpoint-Signature: sha256=HEX`. Comparisons
 * are constant-time.
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

/** Checks a webhook request. `header` looks a header up (case-insensitive). */
export function verifyWebhook(
  header: (name: string) => string | undefined,
  body: Uint8Array,
  secret: string,
): Verdict {
  const github = header('x-hub-signature-256');
  if (github !== undefined) return hmacVerdict('github', github, body, secret);
  const gitlab = header('x-gitlab-token');
  if (gitlab !== undefined)
    return sameSecret(gitlab, secret)
      ? { ok: true, provider: 'gitlab' }
      : { ok: false, provider: 'gitlab', reason: 'X-Gitlab-Token does not match the secret' };
  const generic = header(GENERIC_SIGNATURE_HEADER);
  if (generic !== undefined) return hmacVerdict('generic', generic, body, secret);
  return {
    ok: false,
    reason:
      'the request is not signed (no X-Hub-Signature-256, X-Gitlab-Token or X-Setpoint-Signature header)',
  };
}

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
