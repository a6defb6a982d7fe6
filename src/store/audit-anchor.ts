/**
 * The audit anchor: the head of the audit chain kept outside the store, so
 * `audit verify` can tell a fresh chain from a truncated one. The chain
 * proves that no entry was edited or removed from within; it cannot prove
 * that the whole store was not deleted, or put back from an old copy: a new
 * chain verifies. The anchor is a small JSON file beside the state
 * (`.setpoint/audit-head`), replaced atomically after audit writes (at most
 * every 100 ms, so it may lag the chain by that much, never lead it):
 *
 *   {"format":"setpoint-audit-head/1","head":{"seq":42,"hash":"9c1e…","at":"…"},
 *    "exported":{"seq":40,"hash":"77ab…","at":"…","file":"/backups/audit.jsonl"}}
 *
 * `exported` is the head of the last `audit export`. A chain that ends before
 * either head is truncated; one whose entry at that seq has another hash was
 * replaced. An anchor that disagrees with the chain is never overwritten: it
 * is the evidence. Delete it to start a new chain on purpose.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SetpointError } from '../errors.js';
import { GENESIS_HASH } from './audit-chain.js';
import type { AuditVerification } from './types.js';

export const AUDIT_ANCHOR_FORMAT = 'setpoint-audit-head/1';

export interface AnchoredHead {
  seq: number;
  hash: string;
  /** When it was written. */
  at: string;
}

export interface AuditAnchorFile {
  format: string;
  head?: AnchoredHead;
  exported?: AnchoredHead & { file?: string };
}

/** `.setpoint/audit-head` beside `.setpoint/state.db`; `<file>.audit-head` beside any other state file. */
export function anchorPathFor(statePath: string): string {
  return basename(statePath) === 'state.db'
    ? join(dirname(statePath), 'audit-head')
    : `${statePath}.audit-head`;
}

export class AuditAnchor {
  constructor(readonly path: string) {}

  /** The anchor, or undefined when there is none; throws when it is unreadable or not an anchor. */
  read(): AuditAnchorFile | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SetpointError(
        `cannot read the audit anchor ${this.path}: ${(err as Error).message}`,
        'SETPOINT_AUDIT_ANCHOR',
        { cause: err },
      );
    }
    try {
      const parsed = JSON.parse(text) as AuditAnchorFile;
      if (parsed.format !== AUDIT_ANCHOR_FORMAT)
        throw new Error(`unknown format ${JSON.stringify(parsed.format)}`);
      for (const h of [parsed.head, parsed.exported])
        if (h !== undefined && (!Number.isInteger(h.seq) || typeof h.hash !== 'string'))
          throw new Error('a head without seq and hash');
      return parsed;
    } catch (err) {
      throw new SetpointError(
        `the audit anchor ${this.path} is not a setpoint audit head: ${(err as Error).message}`,
        'SETPOINT_AUDIT_ANCHOR',
        {
          hint: 'it was edited or damaged; keep it as evidence, or delete it to start anchoring anew',
          cause: err,
        },
      );
    }
  }

  /** Replaces the file atomically (write aside, fsync, rename). */
  write(anchor: Omit<AuditAnchorFile, 'format'>): void {
    const tmp = this.asidePath();
    const body = anchorBody(anchor);
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, this.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** As write(), off the event loop: a serve or agent keeps answering while the disk syncs. */
  async writeSoon(anchor: Omit<AuditAnchorFile, 'format'>): Promise<void> {
    const tmp = this.asidePath();
    const file = await open(tmp, 'w', 0o644);
    try {
      await file.writeFile(anchorBody(anchor));
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  private writes = 0;
  /** A temporary file of its own for each write, so two writes never share one. */
  private asidePath(): string {
    return join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${++this.writes}.tmp`);
  }
}

function anchorBody(anchor: Omit<AuditAnchorFile, 'format'>): string {
  return JSON.stringify({ format: AUDIT_ANCHOR_FORMAT, head: anchor.head, exported: anchor.exported }) + '\n';
}

/**
 * How the chain (ending at `lastSeq`, with `hashAt(seq)` for any seq in it)
 * disagrees with the anchor: truncated (ends before an anchored head) or
 * replaced (another hash at an anchored seq); undefined when it agrees.
 */
export function checkAgainstAnchor(
  anchor: AuditAnchorFile | undefined,
  anchorPath: string,
  lastSeq: number,
  hashAt: (seq: number) => string | undefined,
): Pick<AuditVerification, 'firstBad' | 'truncated'> | undefined {
  if (!anchor) return undefined;
  const heads = [
    anchor.head && { ...anchor.head, what: 'the anchor', where: anchorPath },
    anchor.exported && {
      ...anchor.exported,
      what: 'the last export',
      where: `exported ${anchor.exported.at}${anchor.exported.file ? ` to ${anchor.exported.file}` : ''}; ${anchorPath}`,
    },
  ].filter((h) => h !== undefined);
  // The furthest head first: it names the most entries missing.
  heads.sort((a, b) => b.seq - a.seq);
  for (const h of heads) {
    if (h.seq > lastSeq)
      return {
        truncated: { endsAt: lastSeq, anchorSeq: h.seq, anchor: anchorPath },
        firstBad: {
          seq: lastSeq + 1,
          problem: `truncated: the chain ends at seq ${lastSeq} but ${h.what} says ${h.seq} (${h.where}): entries ${lastSeq + 1}..${h.seq} are gone; the state was deleted, cut short or restored from an older copy`,
        },
      };
    if (h.seq > 0 && hashAt(h.seq) !== h.hash)
      return {
        firstBad: {
          seq: h.seq,
          problem: `does not match ${h.what} (${h.where}): the chain up to here was replaced by another one`,
        },
      };
  }
  return undefined;
}

/**
 * The verification of a state file that does not exist (a read-only command
 * opened no store): an empty chain, truncated if an anchor beside the path
 * says entries were written.
 */
export function verifyMissingState(statePath: string): AuditVerification {
  const path = anchorPathFor(statePath);
  const anchored = checkAgainstAnchor(new AuditAnchor(path).read(), path, 0, () => undefined);
  return anchored ? { ok: false, entries: 0, ...anchored } : { ok: true, entries: 0, head: GENESIS_HASH };
}
