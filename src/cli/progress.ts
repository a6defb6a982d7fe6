/**
 * A one-line progress bar on a terminal (stderr), redrawn at most every
 * 80 ms; lines printed meanwhile appear above it. Off the terminal it does
 * nothing and lines are plain. Lines pass the redactor, like all output.
 */
import { redactor } from '../secrets/redact.js';

export class Progress {
  private done = 0;
  private current = '';
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
  ) {}

  /** Prints a line above the bar. */
  line(text: string): void {
    this.clear();
    process.stdout.write(redactor.redact(text) + '\n');
    this.draw(true);
  }

  start(label: string): void {
    this.current = label;
    this.draw(false);
  }

  tick(): void {
    this.done++;
    this.draw(this.done === this.total);
  }

  finish(): void {
    this.clear();
  }

  private clear(): void {
    if (this.enabled && this.drawn) process.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    if (!this.enabled || this.total === 0) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 80) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(30, (process.stderr.columns ?? 80) - 60));
    const filled = Math.round((this.done / this.total) * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const label = this.current.length > 40 ? '…' + this.current.slice(-39) : this.current;
    process.stderr.write(`\r\x1b[2K[${bar}] ${this.done}/${this.total} ${label}`);
    this.drawn = true;
  }
}
