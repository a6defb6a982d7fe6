/**
 * The agent's reports waiting for the server, on disk: one file per batch
 * (written atomically), oldest first, at most `maxBatches`. When full, the
 * oldest batch is dropped and counted, so a long outage costs old detail,
 * never the agent's disk, and the server learns how many were lost.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportBatch } from './report.js';

export interface ReportBufferOptions {
  dir: string;
  /** Batches kept while the server is away. Defaults to 1000. */
  maxBatches?: number;
}

const DROPPED = 'dropped';

export class ReportBuffer {
  private readonly max: number;
  private seq: number;

  constructor(private readonly options: ReportBufferOptions) {
    this.max = options.maxBatches ?? 1000;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const files = this.files();
    this.seq = files.length ? Number(files[files.length - 1].split('-')[0]) : 0;
  }

  /** Batch files, oldest first (`<seq>-<id>.json`). */
  private files(): string[] {
    return readdirSync(this.options.dir)
      .filter((f) => /^\d{12}-.+\.json$/.test(f))
      .sort();
  }

  /** Adds a batch (unless one with its id is waiting); drops the oldest beyond the bound. */
  add(batch: ReportBatch): void {
    const files = this.files();
    if (files.some((f) => f.endsWith(`-${batch.id}.json`))) return;
    const name = `${String(++this.seq).padStart(12, '0')}-${batch.id}.json`;
    const tmp = join(this.options.dir, `.${name}.tmp`);
    writeFileSync(tmp, JSON.stringify(batch), { mode: 0o600 });
    renameSync(tmp, join(this.options.dir, name));
    const over = files.length + 1 - this.max;
    if (over > 0) {
      for (const f of files.slice(0, over)) rmSync(join(this.options.dir, f), { force: true });
      this.writeDropped(this.dropped() + over);
    }
  }

  /** Waiting batches, oldest first; the first carries the count dropped so far. */
  pending(): ReportBatch[] {
    const out = this.files().map(
      (f) => JSON.parse(readFileSync(join(this.options.dir, f), 'utf8')) as ReportBatch,
    );
    if (out.length) out[0] = { ...out[0], dropped: out[0].dropped + this.dropped() };
    return out;
  }

  /** The server has the batch: forget it (and, once the first is delivered, the dropped count it carried). */
  delivered(id: string): void {
    const files = this.files();
    const f = files.find((x) => x.endsWith(`-${id}.json`));
    if (!f) return;
    // Only when there is a count to clear: a rename per delivered batch costs a busy host for nothing.
    if (f === files[0] && this.dropped() > 0) this.writeDropped(0);
    rmSync(join(this.options.dir, f), { force: true });
  }

  size(): number {
    return this.files().length;
  }

  dropped(): number {
    const file = join(this.options.dir, DROPPED);
    return existsSync(file) ? Number(readFileSync(file, 'utf8')) || 0 : 0;
  }

  private writeDropped(n: number): void {
    const file = join(this.options.dir, DROPPED);
    writeFileSync(file + '.tmp', String(n));
    renameSync(file + '.tmp', file);
  }
}
