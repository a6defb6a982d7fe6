/**
 * Serve never acts on what it cannot record. When a write to the state fails
 * for want of space or a writable disk (SQLITE_FULL, ENOSPC, a read-only or
 * failing disk), serve degrades: readiness goes to 503 with the path and the
 * cause, the controller stops acting (records and audit entries already made
 * stay buffered, in memory, to be written later), reads go on. It probes the
 * state with backoff and resumes by itself once a write goes through.
 * Before each action the buffered records are written first: an action
 * starts only once what led to it is in the state.
 */
import { SetpointError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { Recorder } from '../recorder.js';
import type { ServeHealth } from './health.js';

const STORAGE_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'SQLITE_CANTOPEN']);

/** True for an error that says the state cannot be written (space, a read-only or failing disk), not a bug. */
export function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return false;
  return STORAGE_CODES.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY');
}

export class StateUnwritableError extends SetpointError {
  constructor(statePath: string, cause: unknown) {
    const code = (cause as { code?: string }).code ?? 'unknown';
    super(
      `cannot write the state ${statePath}: ${code}: ${(cause as Error).message}`,
      'SETPOINT_STATE_UNWRITABLE',
      {
        hint: `free space on the disk holding ${statePath} (or make it writable); serve resumes by itself`,
        cause,
      },
    );
  }
}

export interface RecordGuardOptions {
  store: Store;
  recorder: Recorder;
  health: ServeHealth;
  logger: Logger;
  /** The state's location, for messages. */
  statePath: string;
  /** First probe delay once degraded; doubles up to maxDelayMs. Defaults to 500 ms. */
  baseDelayMs?: number;
  /** Defaults to 30 s. */
  maxDelayMs?: number;
  /** Called when writes go through again (e.g. to look at everything once more). */
  onRecovered?(): void;
}

export class RecordGuard {
  private probeTimer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private lastError: StateUnwritableError | undefined;
  private stopped = false;

  constructor(private readonly options: RecordGuardOptions) {
    this.delayMs = options.baseDelayMs ?? 500;
  }

  /**
   * A write failed. A storage failure degrades serve (once) and starts the
   * probe; returns whether it was one (other errors are the caller's).
   */
  failed(err: unknown, what: string): boolean {
    if (!isStorageFailure(err)) return false;
    const { health, logger, statePath } = this.options;
    this.lastError = new StateUnwritableError(statePath, err);
    const message = `${this.lastError.message} (while writing ${what}); not acting until it can be written`;
    if (health.degrade('state-unwritable', message)) {
      logger.error(
        { err: this.lastError.message, what, hint: this.lastError.hint },
        'state unwritable: serve stops acting',
      );
      this.delayMs = this.options.baseDelayMs ?? 500;
      this.scheduleProbe();
    }
    return true;
  }

  /**
   * Before an action: refuses while degraded, and writes what is buffered
   * (the out-of-sync record that led to the action) so the action is never
   * ahead of the state. Throws StateUnwritableError when it cannot.
   */
  async beforeAction(): Promise<void> {
    if (this.options.health.has('state-unwritable') && this.lastError) throw this.lastError;
    try {
      await this.options.recorder.flush();
    } catch (err) {
      if (this.failed(err, 'records before an action')) throw this.lastError!;
      throw err;
    }
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.delayMs);
    this.probeTimer.unref();
  }

  /** Writes what is buffered, then an event saying so: both must go through to resume. */
  private async probe(): Promise<void> {
    const { store, recorder, health, logger, statePath } = this.options;
    if (this.stopped || !health.has('state-unwritable')) return;
    const since = health.list().find((d) => d.reason === 'state-unwritable')?.since;
    try {
      await recorder.flush();
      const seconds = since ? Math.round((Date.now() - Date.parse(since)) / 1000) : 0;
      await store.appendEvents([
        {
          time: new Date().toISOString(),
          type: 'Normal',
          reason: 'StateWritable',
          message: `the state ${statePath} takes writes again after ${seconds}s; acting resumes`,
        },
      ]);
    } catch (err) {
      if (!isStorageFailure(err)) logger.warn({ err: (err as Error).message }, 'state probe failed');
      else this.lastError = new StateUnwritableError(statePath, err);
      this.delayMs = Math.min(this.delayMs * 2, this.options.maxDelayMs ?? 30_000);
      this.scheduleProbe();
      return;
    }
    health.recover('state-unwritable');
    this.lastError = undefined;
    logger.info({ state: statePath }, 'state writable again: serve acts again');
    this.options.onRecovered?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }
}
