/**
 * Every replica carries a mark in its environment,
 * `SETPOINT_REPLICA_MARK=<resource>:<index>:<token>`: the resource (a digest
 * of its state folder, unique per project and resource), the replica index
 * and a random token per start. The token is recorded before the spawn, so a
 * setpoint killed between spawning a replica and recording its pid leaves a
 * record that a restart resolves by finding the token in /proc, and a
 * process that no record knows (a stray) can be found and stopped. Only
 * process-group leaders are looked at: a replica leads its group (it is
 * spawned detached), its children inherit the mark but not the leadership.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { bootId, readProcFile, readStat, type ProcessIdentity } from './proc.js';

export const MARK_VAR = 'SETPOINT_REPLICA_MARK';

/** A live, marked process-group leader. */
export interface MarkedProcess {
  identity: ProcessIdentity;
  index: number;
  token: string;
}

/** The resource part of the marks of the replicas recorded in `stateDir`. */
export function resourceMark(stateDir: string): string {
  return createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16);
}

export function newToken(): string {
  return randomBytes(8).toString('hex');
}

export function markValue(resource: string, index: number, token: string): string {
  return `${resource}:${index}:${token}`;
}

/**
 * The live (non-zombie) group leaders whose environment carries a mark of
 * `resource`. Reads /proc only: one stat per process and the environment of
 * group leaders. Processes that cannot be read (gone, another user's) are
 * skipped.
 */
export function findMarked(resource: string): MarkedProcess[] {
  const out: MarkedProcess[] = [];
  for (const { identity, rest } of findByMark(MARK_VAR, resource)) {
    const [index, token] = rest.split(':');
    if (/^\d+$/.test(index) && token) out.push({ identity, index: Number(index), token });
  }
  return out;
}

/**
 * The live group leaders whose environment has `variable=<resource>:<rest>`,
 * with `rest`. Shared by every kind that marks what it spawns.
 */
export function findByMark(
  variable: string,
  resource: string,
): Array<{ identity: ProcessIdentity; rest: string }> {
  const needle = Buffer.from(`${variable}=${resource}:`);
  const out: Array<{ identity: ProcessIdentity; rest: string }> = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    const st = readStat(pid);
    if (!st || st.state === 'Z' || st.pgrp !== pid) continue;
    const environ = readProcFile(`/proc/${pid}/environ`);
    const rest = environ && markIn(environ, needle);
    if (rest) out.push({ identity: { pid, startTime: st.startTime, bootId: bootId() }, rest });
  }
  return out;
}

/** The text after `needle` in a NUL-separated environment, when a variable starts with it. */
function markIn(environ: Buffer, needle: Buffer): string | undefined {
  let at = environ.indexOf(needle);
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(needle, at + 1);
  if (at < 0) return undefined;
  const end = environ.indexOf(0, at);
  return environ.subarray(at + needle.length, end < 0 ? environ.length : end).toString('latin1');
}
