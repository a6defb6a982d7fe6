/**
 * Notices the SQLite file being written, by this process or another (the
 * CLI writing a command), from a watch on its folder: the database and its
 * WAL are written with write(), which the watch sees (the -shm is mapped
 * memory, which it does not). A commit becomes visible to readers just after
 * its last WAL write, so the listener runs only once the writes have
 * settled, `settleMs` after the last one (at most `maxWaitMs` after the
 * first, so a steady stream of writes does not hold it back for ever).
 */
import { basename, dirname } from 'node:path';
import { watchQuietly, type StopWatch } from '../../util/quiet-watch.js';

export interface WriteWatchTimings {
  /** Quiet time after the last write before the listener runs. Defaults to 50 ms. */
  settleMs?: number;
  /** The longest the listener waits after the first write of a burst. Defaults to 500 ms. */
  maxWaitMs?: number;
}

/** undefined when the folder cannot be watched (the caller polls instead). */
export function watchWrites(
  path: string,
  listener: () => void,
  onBroken: (err: Error) => void,
  timings: WriteWatchTimings = {},
): StopWatch | undefined {
  const settleMs = timings.settleMs ?? 50;
  const maxWaitMs = timings.maxWaitMs ?? 500;
  const base = basename(path);
  const files = new Set([base, `${base}-wal`, `${base}-journal`]);
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  let lastAt = 0;
  const fire = () => {
    const now = performance.now();
    const wait = Math.min(settleMs - (now - lastAt), maxWaitMs - (now - firstAt));
    if (wait > 0) {
      timer = setTimeout(fire, wait);
      timer.unref();
      return;
    }
    timer = undefined;
    listener();
  };
  const stopWatch = watchQuietly(
    dirname(path),
    (_event, name) => {
      if (name !== null && !files.has(name)) return;
      lastAt = performance.now();
      if (timer) return; // One timer per burst: re-arming it on every write would cost more than the write.
      firstAt = lastAt;
      timer = setTimeout(fire, settleMs);
      timer.unref();
    },
    (err) => {
      clearTimeout(timer);
      onBroken(err);
    },
  );
  if (!stopWatch) return undefined;
  return () => {
    clearTimeout(timer);
    timer = undefined;
    stopWatch();
  };
}
