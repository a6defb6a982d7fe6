/**
 * Keeps the audit anchor (../audit-anchor.ts) of a SQLite store up to date: a
 * TEMP trigger notes each audit row written through this connection; shortly
 * after (once the transaction has committed or rolled back) the head is read
 * back from the database and written to the anchor file, asynchronously (its
 * fsync off the event loop). At most one write per 100 ms and one at a time;
 * close() waits for it and writes the last one.
 */
import type Database from 'better-sqlite3';
import { AuditAnchor, checkAgainstAnchor, type AuditAnchorFile } from '../audit-anchor.js';
import type { AuditVerification } from '../types.js';

const MIN_INTERVAL_MS = 100;

export class SqliteAnchorKeeper {
  readonly anchor: AuditAnchor;
  private readonly lastStmt: Database.Statement;
  private readonly hashStmt: Database.Statement;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = -Infinity;
  /** The write in flight, if any. */
  private writing: Promise<void> | undefined;
  /** False when the anchor disagreed with the chain at open: it is evidence and is left alone. */
  private trusted: boolean;

  constructor(
    private readonly db: Database.Database,
    anchorPath: string,
    /** False for a read-only connection: it only checks. */
    watch = true,
  ) {
    this.anchor = new AuditAnchor(anchorPath);
    this.lastStmt = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.hashStmt = db.prepare('SELECT hash FROM audit WHERE seq = ?').pluck();
    let file: AuditAnchorFile | undefined;
    try {
      file = this.anchor.read();
      this.trusted = this.check(file) === undefined;
    } catch {
      this.trusted = false;
    }
    if (!watch) return;
    db.function('setpoint_audit_written', { deterministic: false }, () => {
      this.written();
      return 0;
    });
    db.exec(
      'CREATE TEMP TRIGGER IF NOT EXISTS setpoint_anchor_audit AFTER INSERT ON main.audit BEGIN SELECT setpoint_audit_written(); END',
    );
  }

  /** How the store's chain disagrees with the anchor, if it does (see checkAgainstAnchor). */
  check(file = this.anchor.read()): Pick<AuditVerification, 'firstBad' | 'truncated'> | undefined {
    const last = this.lastStmt.get() as { seq: number; hash: string } | undefined;
    return checkAgainstAnchor(
      file,
      this.anchor.path,
      last?.seq ?? 0,
      (seq) => this.hashStmt.get(seq) as string | undefined,
    );
  }

  /** Records the head of an export beside the live head. */
  async exported(head: { seq: number; hash: string }, file?: string): Promise<void> {
    if (!this.trusted) return;
    // A write in flight read the anchor before: once it lands, this one keeps its head.
    await this.writing;
    const current = this.anchor.read();
    this.anchor.write({ head: current?.head, exported: { ...head, at: new Date().toISOString(), file } });
  }

  /** Writes the pending head now, after the write in flight (on close). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (!this.dirty || !this.trusted) return;
    try {
      const next = this.next();
      if (next) this.anchor.write(next);
    } catch {
      // As in flush: nothing is lost, the next open's writes catch up.
    }
  }

  /** Writes the pending head (the timer's turn), unless a write is in flight: then after it. */
  private flush(): void {
    this.timer = undefined;
    if (!this.dirty || !this.trusted || this.writing) return;
    if (this.db.inTransaction) {
      this.timer = setTimeout(() => this.flush(), MIN_INTERVAL_MS);
      this.timer.unref();
      return;
    }
    this.lastWrite = performance.now();
    let next: Omit<AuditAnchorFile, 'format'> | undefined;
    try {
      next = this.next();
    } catch {
      this.dirty = true;
      return;
    }
    if (!next) return;
    this.writing = this.anchor
      .writeSoon(next)
      .catch(() => {
        // A failed anchor write (full disk) loses nothing: the next one catches up.
        this.dirty = true;
      })
      .finally(() => {
        this.writing = undefined;
        if (this.dirty) this.written();
      });
  }

  /** The anchor to write for the chain's head now; undefined when there is nothing newer. Clears dirty. */
  private next(): Omit<AuditAnchorFile, 'format'> | undefined {
    this.dirty = false;
    const last = this.lastStmt.get() as { seq: number; hash: string } | undefined;
    if (!last) return undefined;
    const current = this.anchor.read();
    // Another process may have anchored a later head of the same chain already.
    if (current?.head && current.head.seq >= last.seq) return undefined;
    return { head: { ...last, at: new Date().toISOString() }, exported: current?.exported };
  }

  private written(): void {
    this.dirty = true;
    if (this.timer || this.writing || !this.trusted) return;
    // Never inside the writing transaction: by the time the timer runs it has committed (or not).
    const wait = Math.max(0, MIN_INTERVAL_MS - (performance.now() - this.lastWrite));
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }
}
