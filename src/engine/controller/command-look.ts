/**
 * When serve looks for commands (nudges) in the store. Polled every
 * `pollMs` (serve: 250 ms), or, given `fallbackMs`, on each write the store
 * reports (Store.watchWrites) plus every `fallbackMs` for what a watch
 * misses: an idle agent then does not wake every second to look. Looks run
 * one at a time; one asked for during a look runs after it, so a command
 * written meanwhile is not skipped.
 */
import type { Store } from '../../store/index.js';

export interface CommandLookOptions {
  store: Store;
  /** One look: cheap when nothing changed (it reads the change counter first). */
  look: () => Promise<void>;
  onError: (err: Error) => void;
  pollMs: number;
  /** Look on the store's writes, and every this many ms; undefined (or no watch possible): poll every `pollMs`. */
  fallbackMs?: number;
}

export class CommandLook {
  private timer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: CommandLookOptions) {}

  start(): void {
    const { store, fallbackMs, pollMs } = this.options;
    this.stopped = false;
    if (fallbackMs !== undefined)
      this.stopWatch = store.watchWrites?.(
        () => this.soon(),
        () => {
          this.stopWatch = undefined;
          this.every(pollMs);
        },
      );
    this.every(this.stopWatch ? fallbackMs! : pollMs);
  }

  /**
   * This process wrote commands: look now when watching (the fallback is far
   * off). Polling, the next poll reads them: serve calls this after every
   * POST (fleet reports included), which must not each cost a look.
   */
  written(): void {
    if (this.stopWatch) this.soon();
  }

  /** Looks now (or right after the look in progress). */
  soon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.options
      .look()
      .catch(this.options.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.soon();
        }
      });
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.stopWatch = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private every(ms: number): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.soon(), ms);
  }
}
