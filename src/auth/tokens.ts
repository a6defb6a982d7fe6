/**
 * API bearer tokens: 32 random bytes, shown once; only their sha256 is
 * stored. Verification hashes the presented token and compares it with
 * every stored hash in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every token starts with this, so scanners and people recognise one. */
export const TOKEN_PREFIX = 'spt_';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** A node's credential (`setpoint agent`) starts with this; an enrolment token with ENROLL_TOKEN_PREFIX. */
export const NODE_TOKEN_PREFIX = 'spn_';
export const ENROLL_TOKEN_PREFIX = 'spe_';

export function generateNodeToken(): string {
  return NODE_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function generateEnrollToken(): string {
  return ENROLL_TOKEN_PREFIX + randomBytes(24).toString('base64url');
}

/** sha256 (hex) of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The entry whose hash matches `token`, comparing with every entry (no early
 * exit) in constant time per comparison.
 */
export function matchToken<T extends { hash: string }>(token: string, entries: readonly T[]): T | undefined {
  const presented = Buffer.from(hashToken(token), 'hex');
  let found: T | undefined;
  for (const e of entries) {
    const stored = Buffer.from(e.hash, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && !found) found = e;
  }
  return found;
}
