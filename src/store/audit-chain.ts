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
export function verifyChain(
  entries: Iterable<AuditEntry>,
  head?: { seq: number; hash: string },
): AuditVerification {
  const verifier = new ChainVerifier();
  for (const e of entries) {
    const bad = verifier.push(e);
    if (bad) return { ok: false, entries: verifier.count, firstBad: bad };
  }
  return verifier.finish(head);
}

/**
 * verifyChain one entry at a time, for streams (an export file read line by
 * line). After `push` reports a problem the verifier is done: the first bad
 * entry is the answer.
 */
export class ChainVerifier {
  /** Entries seen so far. */
  count = 0;
  private prevHash = GENESIS_HASH;
  private prevSeq = 0;

  /** Checks the next entry; returns what is wrong with it, if anything. */
  push(e: AuditEntry): AuditVerification['firstBad'] {
    this.count++;
    if (e.seq !== this.prevSeq + 1)
      return e.seq > this.prevSeq + 1
        ? { seq: this.prevSeq + 1, problem: `entries ${this.prevSeq + 1}..${e.seq - 1} were removed` }
        : {
            seq: this.prevSeq + 1,
            problem: `is out of place: entry ${e.seq} stands where entry ${this.prevSeq + 1} should`,
          };
    if (e.prevHash !== this.prevHash)
      return {
        seq: e.seq,
        problem: `does not follow entry ${this.prevSeq}: an entry was removed, reordered or edited before it`,
      };
    if (hashAuditEntry(e.seq, e.prevHash, e) !== e.hash)
      return { seq: e.seq, problem: 'was edited: its content no longer matches its hash' };
    this.prevHash = e.hash;
    this.prevSeq = e.seq;
    return undefined;
  }

  /** The result once every entry was pushed without a problem; `head` as in verifyChain. */
  finish(head?: { seq: number; hash: string }): AuditVerification {
    const { count, prevSeq, prevHash } = this;
    if (head && head.seq > prevSeq)
      return {
        ok: false,
        entries: count,
        firstBad: {
          seq: prevSeq + 1,
          problem: `the log ends at entry ${prevSeq} but ${head.seq} were written: entries were removed from the end`,
        },
      };
    if (head && head.seq < prevSeq)
      return {
        ok: false,
        entries: count,
        firstBad: { seq: head.seq + 1, problem: `was added after the recorded head (entry ${head.seq})` },
      };
    if (head && head.hash !== prevHash)
      return {
        ok: false,
        entries: count,
        firstBad: { seq: prevSeq, problem: 'does not match the recorded head: the last entry was replaced' },
      };
    return { ok: true, entries: count, head: prevHash };
  }
}
