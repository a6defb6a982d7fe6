/**
 * The agent's reports waiting for the server, on disk: one file per batch
 * (written atomically), oldest first, at most `maxBatches`. When full, the
 * oldest batch is dropped and counted, so a long outage costs old detail,
 * never the agent's disk, and the server learns how many were lost.
 *
 * The folder belongs to one agent process: it is listed once, at start, and
 * then followed in memory. Listing it and reading the batches back at every
 * report cost a host running many agents (the fleet benchmark) a tenth of
 * its CPU during a rollout.
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

interface Waiting {
  file: string;
  id: string;
  /** Kept once written or read; read from the file when it was found at start. */
  batch?: ReportBatch;
}

export class ReportBuffer {
  private readonly max: number;
  private seq: number;
  /** Batch files, oldest first (`<seq>-<id>.json`). */
  private readonly waiting: Waiting[];
  private droppedCount: number;

  constructor(private readonly options: ReportBufferOptions) {
    this.max = options.maxBatches ?? 1000;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.waiting = readdirSync(options.dir)
      .filter((f) => /^\d{12}-.+\.json$/.test(f))
      .sort()
      .map((file) => ({ file, id: file.slice(13, -'.json'.length) }));
    this.seq = this.waiting.length ? Number(this.waiting[this.waiting.length - 1].file.split('-')[0]) : 0;
    const dropped = join(options.dir, DROPPED);
    this.droppedCount = existsSync(dropped) ? Number(readFileSync(dropped, 'utf8')) || 0 : 0;
  }

  /** Adds a batch (unless one with its id is waiting); drops the oldest beyond the bound. */
  add(batch: ReportBatch): void {
    if (this.waiting.some((w) => w.id === batch.id)) return;
    const file = `${String(++this.seq).padStart(12, '0')}-${batch.id}.json`;
    const tmp = join(this.options.dir, `.${file}.tmp`);
    writeFileSync(tmp, JSON.stringify(batch), { mode: 0o600 });
    renameSync(tmp, join(this.options.dir, file));
    this.waiting.push({ file, id: batch.id, batch });
    const over = this.waiting.length - this.max;
    if (over > 0) {
      for (const w of this.waiting.splice(0, over)) rmSync(join(this.options.dir, w.file), { force: true });
      this.writeDropped(this.droppedCount + over);
    }
  }

  /** Waiting batches, oldest first; the first carries the count dropped so far. */
  pending(): ReportBatch[] {
    const out = this.waiting.map(
      (w) => (w.batch ??= JSON.parse(readFileSync(join(this.options.dir, w.file), 'utf8')) as ReportBatch),
    );
    if (out.length) out[0] = { ...out[0], dropped: out[0].dropped + this.droppedCount };
    return out;
  }

  /** The server has the batch: forget it (and, once the first is delivered, the dropped count it carried). */
  delivered(id: string): void {
    const at = this.waiting.findIndex((w) => w.id === id);
    if (at < 0) return;
    // Only when there is a count to clear: a rename per delivered batch costs a busy host for nothing.
    if (at === 0 && this.droppedCount > 0) this.writeDropped(0);
    const [w] = this.waiting.splice(at, 1);
    rmSync(join(this.options.dir, w.file), { force: true });
  }

  size(): number {
    return this.waiting.length;
  }

  dropped(): number {
    return this.droppedCount;
  }

  private writeDropped(n: number): void {
    const file = join(this.options.dir, DROPPED);
    writeFileSync(file + '.tmp', String(n));
    renameSync(file + '.tmp', file);
    this.droppedCount = n;
  }
}
