/** The audit trail: query, verify, export (and verify an export anywhere), and watching the store for commits. */
import { createReadStream } from 'node:fs';
import { SetpointError } from '../errors.js';
import {
  AuditExportWriter,
  ChainVerifier,
  verifyAuditExport,
  verifyMissingState,
  type AuditEntry,
  type AuditQuery,
  type AuditVerification,
  type ExportVerification,
} from '../store/index.js';
import type { ApiContext } from './context.js';

/**
 * Audit entries matching the query, oldest first: the newest `limit`
 * (default 100). `resourceId` may omit the default namespace.
 */
export async function listAudit(ctx: ApiContext, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const resourceId = query.resourceId ? ctx.normalizeId(query.resourceId) : undefined;
  return (await ctx.store()).listAudit({ ...query, resourceId, limit: query.limit ?? 100 });
}

/**
 * Recomputes the audit chain. On failure `entry` is what stands now at the
 * first bad position (absent when that entry was removed).
 */
export async function verifyAudit(ctx: ApiContext): Promise<AuditVerification & { entry?: AuditEntry }> {
  // No state file (read-only, nothing opened): still truncated if the anchor beside it says otherwise.
  if (ctx.ephemeral) return verifyMissingState(ctx.stateLocation);
  const store = await ctx.store();
  const v = await store.verifyAudit();
  if (v.ok || !v.firstBad) return v;
  const [at] = await store.listAudit({ afterSeq: v.firstBad.seq - 1, limit: 1 });
  return at?.seq === v.firstBad.seq ? { ...v, entry: at } : v;
}

/**
 * The audit trail as an export file, line by line (format in
 * store/audit-export.ts; `verifyAuditFile` checks it). Refused when the
 * chain does not verify: an export is a verified copy.
 */
export async function* exportAudit(ctx: ApiContext): AsyncGenerator<string> {
  const store = await ctx.store();
  const v = await verifyAudit(ctx);
  if (!v.ok || v.head === undefined)
    throw new SetpointError(
      `the audit trail fails verification at entry ${v.firstBad?.seq}: ${v.firstBad?.problem}; nothing was exported`,
      'SETPOINT_AUDIT_BROKEN',
      'run `setpoint audit verify` to see the entry; keep a copy of the state file as evidence',
    );
  const writer = new AuditExportWriter();
  const chain = new ChainVerifier();
  let seq = 0;
  while (seq < v.entries) {
    const page = await store.listAudit({ afterSeq: seq, limit: Math.min(1000, v.entries - seq) });
    if (page.length === 0) break;
    for (const e of page) {
      const bad = chain.push(e);
      if (bad) throw brokenWhileExporting(bad);
      seq = e.seq;
      yield writer.entry(e);
    }
  }
  const ends = chain.finish({ seq: v.entries, hash: v.head });
  if (!ends.ok) throw brokenWhileExporting(ends.firstBad);
  yield writer.head({ seq: v.entries, hash: v.head });
  // Once the head line was taken: a second anchor outside the store (see store/audit-anchor.ts).
  await store.recordAuditExport({ seq: v.entries, hash: v.head });
}

function brokenWhileExporting(bad: { seq: number; problem: string } | undefined): SetpointError {
  return new SetpointError(
    `audit entry ${bad?.seq} ${bad?.problem} while it was exported`,
    'SETPOINT_AUDIT_BROKEN',
    'run `setpoint audit verify`',
  );
}

/**
 * Verifies an audit export file (from `exportAudit`) on any machine: no
 * project, no state. `expectHead`: a head hash (or its first 8+ characters)
 * kept elsewhere that the file must end at.
 */
export async function verifyAuditFile(
  path: string,
  options: { expectHead?: string } = {},
): Promise<ExportVerification> {
  try {
    return await verifyAuditExport(
      createReadStream(path, { encoding: 'utf8' }) as AsyncIterable<string>,
      options,
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    throw new SetpointError(`cannot read ${path}: ${code}`, 'SETPOINT_AUDIT_FILE', {
      hint: 'give the path of a file made by `setpoint audit export`',
      cause: err,
    });
  }
}

/** The store's commit counter: it moves whenever any process committed (tokens, records, events). */
export async function changeCounter(ctx: ApiContext): Promise<number> {
  return (await ctx.store()).changeCounter();
}

/** Yields at once, then whenever another process committed to the store (checked every `intervalMs`), until `signal` aborts. */
export async function* changes(ctx: ApiContext, signal: AbortSignal, intervalMs = 250): AsyncGenerator<void> {
  let seen: number | undefined;
  while (!signal.aborted) {
    const now = await changeCounter(ctx);
    if (now !== seen) {
      seen = now;
      yield;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
