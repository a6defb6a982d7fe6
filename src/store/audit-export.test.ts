/**
 * The audit export format: written from a chain, verified from text alone.
 * Every single-byte change and every removed line must fail verification,
 * naming the entry where it can.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainEntries, GENESIS_HASH } from './audit-chain.js';
import { AUDIT_EXPORT_FORMAT, AuditExportWriter, auditEntryLine, verifyAuditExport } from './audit-export.js';
import type { AuditEntry, AuditInput } from './types.js';

const input = (i: number): AuditInput => ({
  time: `2024-05-01T10:00:0${i}.000Z`,
  actor: i % 2 ? 'ada' : 'bob',
  action: i === 3 ? 'approval.approve' : 'apply.update',
  resourceId: i === 4 ? undefined : `File/default/r${i}`,
  revisionId: 'rev1',
  diffDigest: i === 2 ? undefined : `d${i}`,
  result: 'succeeded',
  detail: i === 3 ? { note: 'ünïcode ✓', n: 3 } : undefined,
});

function chain(n: number): AuditEntry[] {
  return chainEntries(
    0,
    GENESIS_HASH,
    Array.from({ length: n }, (_, i) => input(i + 1)),
  );
}

function exportOf(entries: readonly AuditEntry[], exportedAt = '2024-05-02T00:00:00.000Z'): string {
  const w = new AuditExportWriter();
  let text = '';
  for (const e of entries) text += w.entry(e);
  const last = entries[entries.length - 1];
  return text + w.head({ seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH }, exportedAt);
}

describe('audit export', () => {
  it('writes one canonical line per entry and a head line, and verifies', async () => {
    const entries = chain(5);
    const text = exportOf(entries);
    const lines = text.split('\n');
    assert.equal(lines.length, 7, 'five entries, the head, and the final newline');
    assert.equal(lines[6], '');
    assert.equal(lines[0], auditEntryLine(entries[0]));
    assert.deepEqual(JSON.parse(lines[2]), { ...entries[2] });
    const head = JSON.parse(lines[5]) as Record<string, unknown>;
    assert.equal(head.format, AUDIT_EXPORT_FORMAT);
    assert.deepEqual(head.head, { seq: 5, hash: entries[4].hash });
    assert.match(String(head.digest), /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(await verifyAuditExport([text]), {
      ok: true,
      entries: 5,
      head: entries[4].hash,
      exportedAt: '2024-05-02T00:00:00.000Z',
    });
  });

  it('verifies text however it is cut into chunks, multi-byte characters included', async () => {
    const text = exportOf(chain(4));
    const chunks = text.match(/[\s\S]{1,7}/g)!;
    assert.equal((await verifyAuditExport(chunks)).ok, true);
    async function* slow() {
      for (const c of text) yield c;
    }
    assert.equal((await verifyAuditExport(slow())).ok, true);
  });

  it('verifies an empty trail', async () => {
    assert.deepEqual(await verifyAuditExport([exportOf([], 't')]), {
      ok: true,
      entries: 0,
      head: GENESIS_HASH,
      exportedAt: 't',
    });
  });

  it('fails on every single-byte change, anywhere in the file', async () => {
    const bytes = Buffer.from(exportOf(chain(4)), 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x20]) {
        const changed = Buffer.from(bytes);
        changed[i] ^= flip;
        const v = await verifyAuditExport([changed.toString('utf8')]);
        assert.equal(
          v.ok,
          false,
          `byte ${i} (${JSON.stringify(String.fromCharCode(bytes[i]))}) ^ ${flip} went unnoticed`,
        );
        assert.ok(
          v.firstBad && v.firstBad.seq >= 1 && v.firstBad.seq <= 5,
          `byte ${i}: ${JSON.stringify(v)}`,
        );
      }
    }
  });

  it('fails when any one line is removed, naming the entry', async () => {
    const entries = chain(5);
    const lines = exportOf(entries).split('\n').slice(0, -1);
    const problems: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const text = lines.filter((_, j) => j !== i).join('\n') + '\n';
      const v = await verifyAuditExport([text]);
      assert.equal(v.ok, false, `removing line ${i + 1} went unnoticed`);
      problems.push(`${v.firstBad!.seq}: ${v.firstBad!.problem}`);
    }
    assert.deepEqual(problems, [
      '1: entries 1..1 were removed',
      '2: entries 2..2 were removed',
      '3: entries 3..3 were removed',
      '4: entries 4..4 were removed',
      '5: the log ends at entry 4 but 5 were written: entries were removed from the end',
      '6: the file has no head line: it was cut short after 5 entries',
    ]);
  });

  it('names the entry that was edited, reordered or added, and the line', async () => {
    const entries = chain(5);
    const lines = exportOf(entries).split('\n');
    const edited = lines
      .map((l, i) => (i === 2 ? l.replace('"actor":"ada"', '"actor":"eve"') : l))
      .join('\n');
    assert.deepEqual(await verifyAuditExport([edited]), {
      ok: false,
      entries: 3,
      firstBad: { seq: 3, problem: 'was edited: its content no longer matches its hash' },
      line: 3,
    });
    const swapped = [lines[0], lines[2], lines[1], ...lines.slice(3)].join('\n');
    assert.deepEqual((await verifyAuditExport([swapped])).firstBad, {
      seq: 2,
      problem: 'entries 2..2 were removed',
    });
    // A forged entry appended after the last one, the head left as it was.
    const [extra] = chainEntries(5, entries[4].hash, [input(6)]);
    const appended = [...lines.slice(0, 5), auditEntryLine(extra), ...lines.slice(5)].join('\n');
    assert.deepEqual((await verifyAuditExport([appended])).firstBad, {
      seq: 6,
      problem: 'was added after the recorded head (entry 5)',
    });
  });

  it('refuses CRLF line endings, blank lines, lines after the head and a missing final newline', async () => {
    const text = exportOf(chain(3));
    for (const [what, bad] of [
      ['CRLF', text.replace(/\n/g, '\r\n')],
      ['a blank line', text.replace('\n', '\n\n')],
      ['a line after the head', text + '{}\n'],
      ['no final newline', text.slice(0, -1)],
      ['an empty file', ''],
      ['pretty-printed JSON', text.replace('{"seq":1,', '{ "seq":1,')],
    ])
      assert.equal((await verifyAuditExport([bad])).ok, false, what);
  });

  it('checks the head against one kept elsewhere', async () => {
    const entries = chain(3);
    const text = exportOf(entries);
    const head = entries[2].hash;
    assert.equal((await verifyAuditExport([text], { expectHead: head })).ok, true);
    assert.equal((await verifyAuditExport([text], { expectHead: head.slice(0, 12).toUpperCase() })).ok, true);
    const other = await verifyAuditExport([text], { expectHead: entries[1].hash });
    assert.equal(other.ok, false);
    assert.match(other.firstBad!.problem, /^the file ends at head [0-9a-f]{64}, not at the expected /);
    assert.equal(
      (await verifyAuditExport([text], { expectHead: head.slice(0, 4) })).ok,
      false,
      'too short a prefix proves nothing',
    );
  });
});
