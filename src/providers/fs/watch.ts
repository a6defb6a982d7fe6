/**
 * Event-driven drift detection for file-system kinds: one non-recursive
 * fs.watch (inotify) per parent folder of the watched paths. An event naming
 * an entry reports the resources at that path; an event without a name, or a
 * watch error, reports every resource of the folder (the controller then
 * re-observes them). A parent that does not exist yet is covered by a watch
 * on its nearest existing ancestor, re-armed when the folder appears.
 *
 * Why fs.watch rather than a recursive watcher: targets are single paths all
 * over the file system (/etc/motd, /srv/app/conf); a recursive watch of their
 * parents would watch whole trees. Per-folder inotify watches are exact,
 * cheap (one per folder, not per file) and report in 1-2 ms. Missed events
 * (inotify queue overflow) are caught by the periodic resync.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Disposable } from '../../provider/types.js';

export interface WatchTarget {
  id: string;
  path: string;
}

export class PathWatcher implements Disposable {
  /** Watched folder -> (entry name -> ids). */
  private readonly byDir = new Map<string, Map<string, Set<string>>>();
  private readonly watchers = new Map<string, FSWatcher>();
  /** Folders watched in place of a missing one: ancestor -> missing folders below it. */
  private readonly pending = new Map<string, Set<string>>();
  private disposed = false;

  constructor(
    targets: readonly WatchTarget[],
    private readonly onChange: (id: string) => void,
    private readonly onError: (err: Error) => void,
  ) {
    for (const t of targets) {
      const dir = dirname(t.path);
      let entries = this.byDir.get(dir);
      if (!entries) this.byDir.set(dir, (entries = new Map<string, Set<string>>()));
      let ids = entries.get(basename(t.path));
      if (!ids) entries.set(basename(t.path), (ids = new Set()));
      ids.add(t.id);
    }
    for (const dir of this.byDir.keys()) this.arm(dir);
  }

  /** Number of folders watched (for status and tests). */
  get size(): number {
    return this.watchers.size;
  }

  private arm(dir: string): void {
    if (this.disposed || this.watchers.has(dir)) return;
    if (!existsSync(dir)) {
      this.armAncestor(dir);
      return;
    }
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) =>
        this.event(dir, name ? String(name) : undefined),
      );
    } catch (err) {
      this.onError(err as Error);
      this.armAncestor(dir);
      return;
    }
    w.on('error', (err) => {
      // The folder went away (or the watch broke): report its resources and re-arm.
      this.watchers.get(dir)?.close();
      this.watchers.delete(dir);
      this.reportDir(dir);
      this.onError(err);
      setTimeout(() => this.arm(dir), 100).unref();
    });
    this.watchers.set(dir, w);
  }

  private armAncestor(dir: string): void {
    let ancestor = dirname(dir);
    while (ancestor !== dirname(ancestor) && !existsSync(ancestor)) ancestor = dirname(ancestor);
    let missing = this.pending.get(ancestor);
    if (!missing) this.pending.set(ancestor, (missing = new Set()));
    missing.add(dir);
    this.armWatchOnly(ancestor);
  }

  /** A watch on a folder that has no targets of its own, only missing folders below. */
  private armWatchOnly(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) =>
        this.event(dir, name ? String(name) : undefined),
      );
      w.on('error', () => {
        this.watchers.delete(dir);
        setTimeout(() => this.armWatchOnly(dir), 100).unref();
      });
      this.watchers.set(dir, w);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  private event(dir: string, name: string | undefined): void {
    if (this.disposed) return;
    const entries = this.byDir.get(dir);
    if (entries) {
      if (name === undefined) this.reportDir(dir);
      else for (const id of entries.get(name) ?? []) this.onChange(id);
    }
    // Something appeared in an ancestor of a missing folder: try to arm the folder now.
    const missing = this.pending.get(dir);
    if (missing) {
      for (const m of [...missing]) {
        if (!existsSync(m)) continue;
        missing.delete(m);
        this.arm(m);
        this.reportDir(m);
      }
      if (missing.size === 0) {
        this.pending.delete(dir);
        if (!this.byDir.has(dir)) {
          this.watchers.get(dir)?.close();
          this.watchers.delete(dir);
        }
      }
    }
  }

  private reportDir(dir: string): void {
    for (const ids of this.byDir.get(dir)?.values() ?? []) for (const id of ids) this.onChange(id);
  }

  dispose(): void {
    this.disposed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
