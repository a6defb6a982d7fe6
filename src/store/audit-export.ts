/**
 * The audit export: a self-verifying file that an auditor checks on another
 * machine, with no state. JSON lines: every entry of the chain, oldest
 * first, with its prevHash and hash, then one head line:
 *
 *   {"seq":1,"time":"…","actor":"ada","action":"apply.create",…,"prevHash":"000…","hash":"3f2a…"}
 *   …
 *   {"format":"setpoint-audit/1","exportedAt":"…","head":{"seq":42,"hash":"9c1e…"},"digest":"sha256:…"}
 *
 * Verification recomputes the chain, checks that it ends at the head, that
 * every line is exactly as written (canonical JSON, `\n` endings, nothing
 * after the head line) and that the digest covers every byte before it, so
 * changing any byte or removing any line fails. A file rewritten as a whole
 * (a new chain) verifies: compare its head hash with one kept elsewhere.
 */
import { createHash, type Hash } from 'node:crypto';
import { ChainVerifier } from './audit-chain.js';
import type { AuditEntry, AuditVerification } from './types.js';

export const AUDIT_EXPORT_FORMAT = 'setpoint-audit/1';

export interface AuditHeadLine {
  format: string;
  exportedAt: string;
  head: { seq: number; hash: string };
  /** sha256 of every entry line (with its newline) and this line without the digest. */
  digest: string;
}

export interface ExportVerification extends AuditVerification {
  /** The 1-based line of the first problem. */
  line?: number;
  exportedAt?: string;
}

/** One entry as its line (without the newline): canonical JSON, fields in a fixed order. */
export function auditEntryLine(e: AuditEntry): string {
  return JSON.stringify({
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    resourceId: e.resourceId,
    revisionId: e.revisionId,
    diffDigest: e.diffDigest,
    result: e.result,
    detail: e.detail,
    prevHash: e.prevHash,
    hash: e.hash,
  });
}

/** Writes an export: feed it entries in order, then take the head line. */
export class AuditExportWriter {
  private readonly hash: Hash = createHash('sha256');

  /** The line for an entry, with its newline. */
  entry(e: AuditEntry): string {
    const line = auditEntryLine(e) + '\n';
    this.hash.update(line);
    return line;
  }

  /** The final line, with its newline. */
  head(head: { seq: number; hash: string }, exportedAt = new Date().toISOString()): string {
    const body = headBody({ format: AUDIT_EXPORT_FORMAT, exportedAt, head });
    const digest = 'sha256:' + this.hash.update(body).digest('hex');
    return headBody({ format: AUDIT_EXPORT_FORMAT, exportedAt, head, digest }) + '\n';
  }
}

function headBody(h: Omit<AuditHeadLine, 'digest'> & { digest?: string }): string {
  return JSON.stringify({
    format: h.format,
    exportedAt: h.exportedAt,
    head: { seq: h.head.seq, hash: h.head.hash },
    digest: h.digest,
  });
}

/**
 * Verifies an export given as its text in chunks (a file stream with utf8
 * encoding, or one string). `expectHead`, when given, is a head hash (or a
 * prefix of one, at least 8 characters) kept elsewhere that the file must end at.
 */
export async function verifyAuditExport(
  chunks: AsyncIterable<string> | Iterable<string>,
  options: { expectHead?: string } = {},
): Promise<ExportVerification> {
  const chain = new ChainVerifier();
  const digest = createHash('sha256');
  let lineNo = 0;
  let headLine: AuditHeadLine | undefined;
  let result: ExportVerification | undefined;
  const fail = (problem: string, seq = chain.count + 1): ExportVerification => ({
    ok: false,
    entries: chain.count,
    firstBad: { seq, problem },
    line: lineNo,
  });

  for await (const line of splitLines(chunks)) {
    lineNo++;
    if (line === undefined) {
      // The text did not end with a newline: the last line was cut.
      return fail(
        headLine ? 'the file does not end with a newline after its head line' : `line ${lineNo} is cut short`,
      );
    }
    if (headLine) return fail(`line ${lineNo} comes after the head line`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return fail(`line ${lineNo} is not valid JSON`);
    }
    if (isHeadLine(parsed)) {
      const { digest: claimed, ...rest } = parsed;
      if (headBody(parsed) !== line)
        return fail(`the head line (line ${lineNo}) was edited`, parsed.head.seq);
      if (parsed.format !== AUDIT_EXPORT_FORMAT)
        return fail(`unknown format ${JSON.stringify(parsed.format)} (expected ${AUDIT_EXPORT_FORMAT})`);
      // The chain against its head first: it names the entry (a removed last line, one too many).
      const ends = chain.finish(parsed.head);
      if (!ends.ok) return { ...ends, line: lineNo };
      if ('sha256:' + digest.update(headBody(rest)).digest('hex') !== claimed)
        return fail('the file was edited: its digest does not match its content', parsed.head.seq);
      headLine = parsed;
      result = { ...ends, exportedAt: parsed.exportedAt };
      continue;
    }
    const entry = toEntry(parsed);
    if (typeof entry === 'string') return fail(`line ${lineNo} is not an audit entry: ${entry}`);
    if (auditEntryLine(entry) !== line)
      return fail(`line ${lineNo} was edited: it is not as setpoint wrote it`, entry.seq);
    const bad = chain.push(entry);
    if (bad) return { ok: false, entries: chain.count, firstBad: bad, line: lineNo };
    digest.update(line + '\n');
  }
  if (!result)
    return {
      ok: false,
      entries: chain.count,
      firstBad: {
        seq: chain.count + 1,
        problem: `the file has no head line: it was cut short after ${chain.count} entries`,
      },
    };
  if (options.expectHead !== undefined && !matchesHead(result.head!, options.expectHead))
    return {
      ok: false,
      entries: result.entries,
      exportedAt: result.exportedAt,
      firstBad: {
        seq: result.entries,
        problem: `the file ends at head ${result.head}, not at the expected ${options.expectHead}`,
      },
    };
  return result;
}

function matchesHead(head: string, expected: string): boolean {
  const e = expected.trim().toLowerCase();
  return e.length >= 8 && head.startsWith(e);
}

function isHeadLine(v: unknown): v is AuditHeadLine {
  if (!v || typeof v !== 'object' || !('head' in v)) return false;
  const h = v as Partial<AuditHeadLine>;
  return (
    typeof h.format === 'string' &&
    typeof h.exportedAt === 'string' &&
    typeof h.digest === 'string' &&
    !!h.head &&
    Number.isInteger(h.head.seq) &&
    typeof h.head.hash === 'string'
  );
}

/** The entry a parsed line holds, or what is wrong with it. */
function toEntry(v: unknown): AuditEntry | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  if (!Number.isInteger(o.seq)) return 'seq is not a whole number';
  for (const f of ['time', 'actor', 'action', 'result', 'prevHash', 'hash'])
    if (typeof o[f] !== 'string') return `${f} is missing or not a string`;
  for (const f of ['resourceId', 'revisionId', 'diffDigest'])
    if (o[f] !== undefined && typeof o[f] !== 'string') return `${f} is not a string`;
  if (o.detail !== undefined && (!o.detail || typeof o.detail !== 'object' || Array.isArray(o.detail)))
    return 'detail is not an object';
  const known = new Set([
    'seq',
    'time',
    'actor',
    'action',
    'resourceId',
    'revisionId',
    'diffDigest',
    'result',
    'detail',
    'prevHash',
    'hash',
  ]);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra) return `unknown field ${extra}`;
  return o as unknown as AuditEntry;
}

/**
 * Splits text on `\n` only (a `\r` stays in its line and fails the canonical
 * check). Yields undefined as the last item when the text does not end with
 * a newline; an empty file yields nothing.
 */
async function* splitLines(
  chunks: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<string | undefined> {
  let rest = '';
  for await (const chunk of chunks) {
    rest += chunk;
    let start = 0;
    let at: number;
    while ((at = rest.indexOf('\n', start)) >= 0) {
      yield rest.slice(start, at);
      start = at + 1;
    }
    rest = rest.slice(start);
  }
  if (rest.length > 0) yield undefined;
}
