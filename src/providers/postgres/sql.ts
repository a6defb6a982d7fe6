/**
 * SQL text from names and values: every identifier goes through pg's
 * escapeIdentifier and every literal through escapeLiteral, so no name in a
 * manifest can change a statement's meaning. Passwords are sent as SCRAM
 * verifiers computed here, so the plain text never crosses the wire nor
 * lands in the server's statement log; a stored verifier is checked against
 * the secret the same way a login would be.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type PgModule from 'pg';
import { lazy } from '../../util/lazy.js';

// pg is loaded on first use: a run without PostgreSQL resources never evaluates it.
const pg = lazy<typeof PgModule>('pg');
export const ident = (name: string): string => pg().escapeIdentifier(name);
export const literal = (value: string): string => pg().escapeLiteral(value);
/** `"schema"."name"` */
export const qualified = (schema: string, name: string): string => `${ident(schema)}.${ident(name)}`;

const ITERATIONS = 4096;

/**
 * What PostgreSQL hashes: SASLprep of the password. For ASCII that is the
 * password itself; for other text NFKC normalisation covers the common cases.
 */
function prepared(password: string): Buffer {
  return Buffer.from(/^[\x00-\x7f]*$/.test(password) ? password : password.normalize('NFKC'));
}

function keys(password: string, salt: Buffer, iterations: number): { stored: Buffer; server: Buffer } {
  const salted = pbkdf2Sync(prepared(password), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    stored: createHash('sha256').update(clientKey).digest(),
    server: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** A SCRAM-SHA-256 verifier as pg_authid stores it: `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const { stored, server } = keys(password, salt, ITERATIONS);
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${stored.toString('base64')}:${server.toString('base64')}`;
}

/**
 * Whether `stored` (pg_authid.rolpassword) accepts `password` for `role`:
 * SCRAM verifiers are recomputed with their own salt and iterations, md5
 * ones as md5(password + role). No password at all never matches.
 */
export function passwordMatches(stored: string | null, password: string, role: string): boolean {
  if (!stored) return false;
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (scram) {
    const { stored: storedKey, server } = keys(password, Buffer.from(scram[2], 'base64'), Number(scram[1]));
    return (
      safeEqual(storedKey, Buffer.from(scram[3], 'base64')) &&
      safeEqual(server, Buffer.from(scram[4], 'base64'))
    );
  }
  if (/^md5[0-9a-f]{32}$/.test(stored))
    return safeEqual(
      Buffer.from(stored),
      Buffer.from(
        'md5' +
          createHash('md5')
            .update(password + role)
            .digest('hex'),
      ),
    );
  return false;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
