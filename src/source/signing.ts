/**
 * Signed folder sources: an ed25519 signature over the folder's content
 * digest, in a detached file `.setpoint.sig` at the folder's root. The digest
 * covers every file that can shape the desired state — manifests and the
 * files they refer to — by path and bytes, so changing, adding, removing or
 * renaming any of them (one byte is enough) invalidates the signature.
 */
import { SetpointError } from '../errors.js';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';

export const SIGNATURE_FILE = '.setpoint.sig';

export interface SignatureFile {
  algorithm: 'ed25519';
  /** sha256 over the folder's files (see folderDigest). */
  digest: string;
  /** Base64 signature of the digest (as UTF-8 text). */
  signature: string;
  /** Fingerprint of the public key: sha256 of its DER, first 16 hex. */
  keyId: string;
  signedAt: string;
}

export class SignatureError extends SetpointError {
  declare readonly hint: string;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, 'SETPOINT_SIGNATURE_INVALID', { hint, cause });
  }
}

/** Files of the folder (hidden entries and node_modules skipped, as the manifest loader does), sorted. */
function listFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) listFiles(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** sha256 over "relative path, NUL, sha256 of bytes, newline" for every file. */
export function folderDigest(dir: string): string {
  const h = createHash('sha256');
  for (const file of listFiles(dir)) {
    h.update(relative(dir, file)).update('\0');
    h.update(createHash('sha256').update(readFileSync(file)).digest('hex')).update('\n');
  }
  return h.digest('hex');
}

export function keyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** A new key pair as PEM: the private key must stay private (0600). */
export function generateKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Signs the folder and writes its signature file (atomically). */
export function signFolder(dir: string, privateKeyPem: string): SignatureFile {
  const key = createPrivateKey(privateKeyPem);
  const digest = folderDigest(dir);
  const sig: SignatureFile = {
    algorithm: 'ed25519',
    digest,
    signature: sign(null, Buffer.from(digest), key).toString('base64'),
    keyId: keyId(createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString()),
    signedAt: new Date().toISOString(),
  };
  const tmp = join(dir, `${SIGNATURE_FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(sig, null, 2) + '\n');
  renameSync(tmp, join(dir, SIGNATURE_FILE));
  return sig;
}

/** Checks the folder against its signature file and the trusted public key; throws SignatureError. */
export function verifyFolder(dir: string, publicKeyPem: string): SignatureFile {
  const file = join(dir, SIGNATURE_FILE);
  if (!existsSync(file))
    throw new SignatureError(
      `${dir} is not signed (no ${SIGNATURE_FILE})`,
      "sign it with `setpoint sign` and the project's private key",
    );
  let sig: SignatureFile;
  try {
    sig = JSON.parse(readFileSync(file, 'utf8')) as SignatureFile;
  } catch {
    throw new SignatureError(`${file} is not a signature file`, 'sign the folder again with `setpoint sign`');
  }
  const trusted = keyId(publicKeyPem);
  if (sig.keyId !== trusted)
    throw new SignatureError(
      `signed by an unknown key ${sig.keyId} (trusted: ${trusted})`,
      'sign with the private key that matches verify.publicKey',
    );
  const digest = folderDigest(dir);
  if (digest !== sig.digest)
    throw new SignatureError(
      'the folder changed after it was signed (content digest differs)',
      'review the change, then sign the folder again',
    );
  if (!verify(null, Buffer.from(digest), createPublicKey(publicKeyPem), Buffer.from(sig.signature, 'base64')))
    throw new SignatureError(
      'the signature does not match the content (tampered signature file)',
      'sign the folder again with `setpoint sign`',
    );
  return sig;
}

/** A signature over a digest (e.g. a node set's), made with an ed25519 private key (PEM). */
export interface DigestSignature {
  algorithm: 'ed25519';
  keyId: string;
  /** base64 */
  signature: string;
}

/** Signs `digest` (its UTF-8 text) with `privateKeyPem`. */
export function signDigest(digest: string, privateKeyPem: string): DigestSignature {
  const key = createPrivateKey(privateKeyPem);
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    algorithm: 'ed25519',
    keyId: keyId(publicKeyPem),
    signature: sign(null, Buffer.from(digest, 'utf8'), key).toString('base64'),
  };
}

/** Throws a SignatureError unless `sig` is `publicKeyPem`'s signature over `digest`. */
export function verifyDigest(digest: string, sig: DigestSignature | undefined, publicKeyPem: string): void {
  if (!sig)
    throw new SignatureError(
      `the set ${digest.slice(0, 12)} is not signed, and signed sets are required`,
      'the server signs node sets with fleet.signingKey in its setpoint.yaml',
    );
  const ok = verify(
    null,
    Buffer.from(digest, 'utf8'),
    createPublicKey(publicKeyPem),
    Buffer.from(sig.signature, 'base64'),
  );
  if (!ok)
    throw new SignatureError(
      `the signature over set ${digest.slice(0, 12)} does not verify with key ${keyId(publicKeyPem)}`,
      'the set was altered on its way, or the server signs with another key: re-enrol the agent if the key was changed on purpose',
    );
}
