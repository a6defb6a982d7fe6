/**
 * Start-up and shutdown of `setpoint serve` in one place (controller-runtime's
 * Manager). Runnables start in the order given and stop in reverse; one that
 * fails to start stops those already started, in reverse, and the error is
 * the start's. A runnable marked `serving` (the HTTP server: probes, metrics,
 * the API) starts before the others and stops after them, so probes answer
 * while the rest starts and while it drains; when stopping begins, every
 * runnable's `drain` is called first (readiness goes to 503).
 *
 * `run` holds the process: SIGTERM or SIGINT stop it within the grace period
 * (a second signal, or the period running out, ends it at once), and an
 * uncaught exception or unhandled rejection is logged and handed to
 * `onUncaught` (serve degrades) instead of taking the process down silently.
 */
import type { Logger } from '../../telemetry/index.js';

export interface Runnable {
  name: string;
  /** Started before every other runnable and stopped after all of them (HTTP). */
  serving?: boolean;
  start(): Promise<void> | void;
  /** Stopping began: stop taking new work (e.g. readiness says 503). Called before any stop. */
  drain?(): void;
  stop(): Promise<void> | void;
}

export interface ManagerOptions {
  logger: Logger;
  runnables: readonly Runnable[];
  /** How long a stop may take once a signal came. Defaults to 30 s. */
  graceMs?: number;
  /** An uncaught exception or unhandled rejection (after it is logged). */
  onUncaught?(err: Error, origin: 'exception' | 'rejection'): void;
}

export type StopCause = 'SIGTERM' | 'SIGINT' | 'stop';

/** How `run` ended: every runnable stopped, or the grace period (or a second signal) cut it short. */
export interface RunResult {
  cause: StopCause;
  clean: boolean;
}

export class Manager {
  private readonly order: Runnable[];
  private readonly started: Runnable[] = [];
  private stopping: Promise<void> | undefined;
  private uninstall: (() => void) | undefined;
  private markDone!: () => void;
  /** Resolves once a stop has finished. */
  private readonly done = new Promise<void>((resolve) => (this.markDone = resolve));

  constructor(private readonly options: ManagerOptions) {
    const serving = options.runnables.filter((r) => r.serving);
    this.order = [...serving, ...options.runnables.filter((r) => !r.serving)];
  }

  /** Starts every runnable in order; on a failure stops those started (in reverse) and throws it. */
  async start(): Promise<void> {
    this.installCrashGuards();
    for (const r of this.order) {
      try {
        await r.start();
      } catch (err) {
        this.options.logger.error({ runnable: r.name, err: (err as Error).message }, 'cannot start');
        await this.stop();
        throw err;
      }
      this.started.push(r);
    }
  }

  /** Drains, then stops what started, in reverse. Idempotent: later calls wait for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const { logger } = this.options;
    for (const r of this.started) {
      try {
        r.drain?.();
      } catch (err) {
        logger.warn({ runnable: r.name, err: (err as Error).message }, 'cannot drain');
      }
    }
    for (const r of [...this.started].reverse()) {
      try {
        await r.stop();
      } catch (err) {
        logger.warn({ runnable: r.name, err: (err as Error).message }, 'runnable failed to stop');
      }
    }
    this.started.length = 0;
    this.uninstall?.();
    this.markDone();
  }

  /**
   * Until SIGTERM or SIGINT (or `stop()`): then stops everything within the
   * grace period. `onSignal` is told when stopping begins.
   */
  run(onSignal?: (cause: StopCause) => void): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      let cause: StopCause | undefined;
      let finished = false;
      const finish = (clean: boolean) => {
        if (finished) return;
        finished = true;
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        resolve({ cause: cause ?? 'stop', clean });
      };
      const begin = (sig: StopCause) => {
        if (cause) {
          // A second signal: the operator does not want to wait.
          this.options.logger.warn({ signal: sig }, 'second signal: stopping now');
          finish(false);
          return;
        }
        cause = sig;
        onSignal?.(sig);
        const grace = setTimeout(() => {
          this.options.logger.error({ graceMs: this.graceMs }, 'stopping took longer than the grace period');
          finish(false);
        }, this.graceMs);
        grace.unref();
        void this.stop().then(() => {
          clearTimeout(grace);
          finish(true);
        });
      };
      const onTerm = () => begin('SIGTERM');
      const onInt = () => begin('SIGINT');
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
      // stop() called by the program itself.
      void this.done.then(() => {
        if (!cause) finish(true);
      });
    });
  }

  private get graceMs(): number {
    return this.options.graceMs ?? 30_000;
  }

  /** Uncaught errors are logged and reported, never a silent exit. */
  private installCrashGuards(): void {
    if (this.uninstall) return;
    const { logger } = this.options;
    const handle = (origin: 'exception' | 'rejection') => (reason: unknown) => {
      const err = reason instanceof Error ? reason : new Error(String(reason));
      logger.error(
        { err: err.message, stack: err.stack, origin },
        `uncaught ${origin}; serve goes on degraded`,
      );
      process.stderr.write(`setpoint serve: uncaught ${origin}: ${err.stack ?? err.message}\n`);
      try {
        this.options.onUncaught?.(err, origin);
      } catch {
        // reporting must not throw from here
      }
    };
    const onException = handle('exception');
    const onRejection = handle('rejection');
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    this.uninstall = () => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
      this.uninstall = undefined;
    };
  }
}
