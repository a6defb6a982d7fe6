/**
 * A file-system watch that never keeps the process alive and never throws:
 * for timers that become event-driven (an idle process should not wake just
 * to look). The caller keeps a slow fallback timer, because a watch misses
 * what it cannot see (a grandparent folder moved, a network file system) and
 * can break (inotify limits): `onBroken` says when to fall back to polling.
 */
import { watch, type FSWatcher } from 'node:fs';

export type WatchEvent = 'rename' | 'change';

/** Stops the watch; calling it again does nothing. */
export type StopWatch = () => void;

/**
 * Watches `path` (a file, or a folder and its entries, not recursively).
 * `name` is the entry an event is about (for a folder), or null when the
 * platform does not say. undefined when the watch cannot be set up.
 */
export function watchQuietly(
  path: string,
  onEvent: (event: WatchEvent, name: string | null) => void,
  onBroken: (err: Error) => void,
): StopWatch | undefined {
  let watcher: FSWatcher;
  try {
    watcher = watch(path, { persistent: false }, (event, name) => onEvent(event, name));
  } catch {
    return undefined;
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    watcher.close();
  };
  watcher.on('error', (err) => {
    stop();
    onBroken(err);
  });
  return stop;
}
