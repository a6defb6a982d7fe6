/**
 * The agent's credential on disk: the server, the node's name and token, and
 * the key its sets must be signed with. Written atomically with mode 0600 in
 * a 0700 folder: only the agent's user can read the token.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SetpointError } from '../errors.js';

export interface Credential {
  server: string;
  name: string;
  token: string;
  /** PEM public key the node's sets must be signed with (pinned at enrolment). */
  publicKey?: string;
  enrolledAt: string;
  /** The labels the server gave the node (the enrolment token's and the agent's own). */
  labels?: Record<string, string>;
  checkIntervalMs?: number;
}

export function readCredential(file: string): Credential | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Credential;
  } catch (err) {
    throw new SetpointError(
      `cannot read the agent's credential ${file}: ${(err as Error).message}`,
      'SETPOINT_AGENT_CREDENTIAL',
      'remove it and enrol again with a new --enroll-token',
    );
  }
}

export function writeCredential(file: string, credential: Credential): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(credential, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
