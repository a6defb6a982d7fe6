/**
 * The audit hash chain, shared by every store: each entry's hash covers its
 * sequence number, its fields and the previous entry's hash, so editing,
 * removing or reordering any entry breaks the chain from there on.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditInput, AuditVerification } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

export function hashAuditEntry(seq: number, prevHash: string, e: AuditInput): string {
  const body = JSON.stringify([
    seq,
    e.time,
    e.actor,
    e.action,
    e.resourceId ?? null,
    e.revisionId ?? null,
    e.diffDigest ?? null,
    e.result,
    e.detail ?? null,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Links new entries onto the chain whose last entry is (lastSeq, lastHash). */
export function chainEntries(lastSeq: number, lastHash: string, inputs: readonly AuditInput[]): AuditEntry[] {
  const out: AuditEntry[] = [];
  let seq = lastSeq;
  let prev = lastHash;
  for (const input of inputs) {
    seq++;
    const hash = hashAuditEntry(seq, prev, input);
    out.push({ ...input, seq, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

/**
 * Recomputes the chain over entries in sequence order. `head`, when given, is
 * the (seq, hash) the store recorded for its last entry, which catches a
 * truncated tail.
 */
export function verifyChain(entries: Iterable<AuditEntry>, head?: { seq: number; hash: string }): AuditVerification {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let count = 0;
  for (const e of entries) {
    count++;
    if (e.seq !== prevSeq + 1)
      return { ok: false, entries: count, firstBad: { seq: prevSeq + 1, problem: `entries ${prevSeq + 1}..${e.seq - 1} were removed` } };
    if (e.prevHash !== prevHash)
      return {
        ok: false,
        entries: count,
        firstBad: { seq: e.seq, problem: `does not follow entry ${prevSeq}: an entry was removed, reordered or edited before it` },
      };
    if (hashAuditEntry(e.seq, e.prevHash, e) !== e.hash)
      return { ok: false, entries: count, firstBad: { seq: e.seq, problem: 'was edited: its content no longer matches its hash' } };
    prevHash = e.hash;
    prevSeq = e.seq;
  }
  if (head && (head.seq !== prevSeq || head.hash !== prevHash))
    return {
      ok: false,
      entries: count,
      firstBad: { seq: prevSeq + 1, problem: `the log ends at entry ${prevSeq} but ${head.seq} were written: entries were removed from the end` },
    };
  return { ok: true, entries: count, head: prevHash };
}
