/** checkAgainstAnchor: a chain shorter than either anchored head is truncated; another hash at an anchored seq is a replaced chain. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAgainstAnchor, type AuditAnchorFile } from './audit-anchor.js';

const hashes = ['h1', 'h2', 'h3', 'h4'];
const hashAt = (seq: number) => hashes[seq - 1];
const file = (head?: number, exported?: number, hash = (s: number) => `h${s}`): AuditAnchorFile => ({
  format: 'setpoint-audit-head/1',
  head: head === undefined ? undefined : { seq: head, hash: hash(head), at: 't1' },
  exported:
    exported === undefined
      ? undefined
      : { seq: exported, hash: hash(exported), at: 't0', file: '/b/a.jsonl' },
});

describe('checkAgainstAnchor', () => {
  it('agrees with a chain that reaches the anchored heads (or goes beyond them), and with no anchor', () => {
    assert.equal(checkAgainstAnchor(undefined, '/s/audit-head', 0, hashAt), undefined);
    assert.equal(checkAgainstAnchor(file(4, 3), '/s/audit-head', 4, hashAt), undefined);
    assert.equal(checkAgainstAnchor(file(2), '/s/audit-head', 4, hashAt), undefined);
  });

  it('calls a chain that ends before the anchor truncated, naming both seqs', () => {
    const r = checkAgainstAnchor(file(9), '/s/audit-head', 4, hashAt);
    assert.deepEqual(r?.truncated, { endsAt: 4, anchorSeq: 9, anchor: '/s/audit-head' });
    assert.match(
      r.firstBad!.problem,
      /^truncated: the chain ends at seq 4 but the anchor says 9 \(\/s\/audit-head\): entries 5..9 are gone/,
    );
    assert.equal(r.firstBad!.seq, 5);
  });

  it('holds the last export as a second anchor', () => {
    const r = checkAgainstAnchor(file(undefined, 6), '/s/audit-head', 4, hashAt);
    assert.match(
      r!.firstBad!.problem,
      /^truncated: the chain ends at seq 4 but the last export says 6 \(exported t0 to \/b\/a.jsonl/,
    );
  });

  it('calls a chain with another hash at an anchored seq replaced', () => {
    const r = checkAgainstAnchor(
      file(3, undefined, (s) => `other${s}`),
      '/s/audit-head',
      4,
      hashAt,
    );
    assert.equal(r?.truncated, undefined);
    assert.equal(r?.firstBad?.seq, 3);
    assert.match(r.firstBad.problem, /does not match the anchor .*replaced by another one/);
  });
});
