/**
 * Watches the folders of a folder source (recursively) and calls back,
 * debounced, when something in them changes. Writes under hidden folders
 * (the state folder .setpoint, .git) and node_modules are not edits.
 * Admission itself is SourceSet's job.
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export interface FolderWatchOptions {
  paths: readonly string[];
  onChange(): void;
  /** Quiet time after the last event. Defaults to 150 ms. */
  debounceMs?: number;
  onError?(err: Error): void;
}

export class FolderWatch {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: FolderWatchOptions) {
    for (const p of options.paths) {
      let dir = p;
      try {
        if (!statSync(p).isDirectory()) dir = dirname(p);
      } catch {
        dir = dirname(p);
      }
      // Node 20's recursive watch on Linux loses a file replaced by rename after the first time
      // (an agent writes its set so): the folder itself is watched too, which never does.
      for (const recursive of [true, false])
        try {
          const w = watch(dir, { recursive, persistent: false }, (_event, name) => {
            if (
              name &&
              String(name)
                .split('/')
                .some((seg) => seg.startsWith('.') || seg === 'node_modules')
            )
              return;
            this.schedule();
          });
          w.on('error', (err) => options.onError?.(err));
          this.watchers.push(w);
        } catch (err) {
          options.onError?.(err as Error);
        }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.options.onChange(), this.options.debounceMs ?? 150);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
