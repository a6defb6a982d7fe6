/**
 * Log rotation by copy-truncate: a log file over `maxBytes` is copied to
 * `.1` (older copies shift to `.2` ... up to `keep`) and truncated in place.
 * Replicas hold the file open with O_APPEND, so their next write lands at
 * the new end; lines written between the copy and the truncate are lost,
 * the known price of copy-truncate (logrotate's copytruncate has it too).
 */
import { copyFileSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';

/** Rotates `path` when it is bigger than `maxBytes`; returns whether it did. Never throws. */
export function rotateIfNeeded(path: string, maxBytes: number, keep: number): boolean {
  try {
    if (statSync(path).size <= maxBytes) return false;
    if (keep > 0) {
      rmSync(`${path}.${keep}`, { force: true });
      for (let k = keep - 1; k >= 1; k--) {
        try {
          renameSync(`${path}.${k}`, `${path}.${k + 1}`);
        } catch {
          // that generation does not exist yet
        }
      }
      copyFileSync(path, `${path}.1`);
    }
    truncateSync(path, 0);
    return true;
  } catch {
    // A missing log (replica never started) or a full disk: the next tick tries again.
    return false;
  }
}
