/**
 * Content comparison and rendering: text gets a unified diff, binary and very
 * large content a summary with sizes and digests.
 */
import { createHash } from 'node:crypto';
import type { Change } from './change.js';

/** Above this size content is summarised instead of diffed. */
export const MAX_DIFF_BYTES = 256 * 1024;

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function isBinary(data: Buffer): boolean {
  const n = Math.min(data.length, 8000);
  for (let i = 0; i < n; i++) if (data[i] === 0) return true;
  return false;
}

/** A content change between two buffers (either may be absent). */
export function contentChange(path: string, old: Buffer | undefined, next: Buffer): Change {
  const large = next.length > MAX_DIFF_BYTES || (old?.length ?? 0) > MAX_DIFF_BYTES;
  if (large || isBinary(next) || (old && isBinary(old))) {
    return {
      path,
      format: large ? 'large' : 'binary',
      old: old ? summary(old) : undefined,
      new: summary(next),
    };
  }
  return { path, format: 'text', old: old?.toString('utf8'), new: next.toString('utf8') };
}

function summary(data: Buffer): string {
  return `${formatBytes(data.length)}, sha256 ${sha256(data).slice(0, 12)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Unified diff of a text change, without the file header lines. Loads jsdiff lazily. */
export async function unifiedDiff(oldText: string, newText: string, context = 3): Promise<string> {
  const { structuredPatch } = await import('diff');
  const patch = structuredPatch('actual', 'desired', oldText, newText, '', '', { context });
  const lines: string[] = [];
  for (const h of patch.hunks) {
    lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const l of h.lines) lines.push(l);
  }
  return lines.join('\n');
}
