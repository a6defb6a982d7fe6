/**
 * The log file destination, built so that a log never blocks or stops a run:
 * lines are appended by asynchronous writes; a write that fails (a full disk,
 * an I/O error) drops what was waiting, says so once on stderr and tries
 * again on a later line after a pause (so logging resumes when space comes
 * back); the buffer is bounded and drops lines rather than grow; `flushSync`
 * makes one attempt and never waits or retries. (pino's own file destination
 * retries a failed synchronous flush forever, blocking the event loop — and
 * with it SIGTERM — on a full disk.)
 */
import { closeSync, openSync, write, writeSync } from 'node:fs';

export interface FileSinkOptions {
  /** Bytes waiting to be written before lines are dropped. Defaults to 8 MiB. */
  maxBufferBytes?: number;
  /** After a failed write, lines are dropped for this long before trying again. Defaults to 5000. */
  retryAfterMs?: number;
  /** Told once per failure episode (and when writing works again). Defaults to a line on stderr. */
  onProblem?: (message: string) => void;
}

export class FileSink {
  private fd: number;
  private reopenWanted = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing = false;
  private failedAt = 0;
  private closed = false;
  private waiters: Array<(err?: Error) => void> = [];
  /** Lines dropped since the sink was made. */
  dropped = 0;

  constructor(
    readonly file: string,
    private readonly options: FileSinkOptions = {},
  ) {
    this.fd = openSync(file, 'a');
  }

  write(line: string): boolean {
    if (this.closed) return true;
    const now = Date.now();
    if (this.failedAt !== 0 && now - this.failedAt < (this.options.retryAfterMs ?? 5000)) {
      this.dropped++;
      return true;
    }
    const chunk = Buffer.from(line);
    if (this.pendingBytes + chunk.length > (this.options.maxBufferBytes ?? 8 << 20)) {
      this.dropped++;
      return true;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.writing) {
      this.writing = true;
      setImmediate(() => this.drain());
    }
    return true;
  }

  /**
   * Opens the file again by its name (logrotate moved it away): lines from
   * now on go to the new file. A write in flight finishes on the old one.
   */
  reopen(): void {
    if (this.closed) return;
    if (this.writing) this.reopenWanted = true;
    else this.swapFile();
  }

  private swapFile(): void {
    this.reopenWanted = false;
    try {
      const fd = openSync(this.file, 'a');
      const old = this.fd;
      this.fd = fd;
      closeSync(old);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException, 0);
    }
  }

  /** Calls `cb` once what was written so far has reached the file (or was dropped). */
  flush(cb?: (err?: Error) => void): void {
    if (!this.writing) cb?.();
    else if (cb) this.waiters.push(cb);
  }

  /** One synchronous attempt to write what waits (at exit); a failure drops it. */
  flushSync(): void {
    if (this.writing || this.pending.length === 0 || this.closed) return;
    const chunk = this.take();
    try {
      writeSync(this.fd, chunk);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException, 1);
    }
  }

  close(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private take(): Buffer {
    const chunk = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return chunk;
  }

  private drain(): void {
    if (this.reopenWanted && !this.closed) this.swapFile();
    if (this.pending.length === 0 || this.closed) {
      this.writing = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
      return;
    }
    const chunk = this.take();
    const lines = countLines(chunk);
    write(this.fd, chunk, 0, chunk.length, null, (err, written) => {
      if (err) {
        this.fail(err, lines + this.pending.length);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        if (this.failedAt !== 0) {
          this.failedAt = 0;
          this.tell(`setpoint: writing the log ${this.file} again (${this.dropped} lines were dropped)\n`);
        }
        if (written < chunk.length) {
          this.pending.unshift(chunk.subarray(written));
          this.pendingBytes += chunk.length - written;
        }
      }
      this.drain();
    });
  }

  private fail(err: NodeJS.ErrnoException, lines: number): void {
    this.dropped += lines;
    if (this.failedAt === 0)
      this.tell(
        `setpoint: cannot write the log ${this.file}: ${err.code ?? err.message}; log lines are dropped until it works again\n`,
      );
    this.failedAt = Date.now();
  }

  private tell(message: string): void {
    if (this.options.onProblem) this.options.onProblem(message);
    else
      try {
        process.stderr.write(message);
      } catch {
        // nowhere left to say it
      }
  }
}

function countLines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return Math.max(1, n);
}
