/**
 * Structured JSON logs (pino). Every line about a resource carries its id and
 * the revision id, and a line written during a reconcile carries its
 * reconcile id (from the reconcile context); secret values are scrubbed from
 * every string before the line is written, whatever field it is in. `serve`
 * can mirror the lines to a terminal in a human-friendly form
 * (`attachConsole`).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { redactor } from '../secrets/index.js';
import { currentReconcile } from './context.js';
import { formatLogLine } from './log-format.js';
import { FileSink } from './log-sink.js';
import { otel, otelInUse } from './trace.js';

export type { Logger } from 'pino';

export interface LogOptions {
  /** Write JSON lines to this file; otherwise to stderr. */
  file?: string;
  /** Defaults to info. */
  level?: string;
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LogOptions = {}): Logger {
  let destination: pino.DestinationStream;
  if (options.file && writable(options.file)) {
    // A log that cannot be written never stops or blocks a run (log-sink.ts).
    destination = new FileSink(options.file);
  } else {
    if (options.file)
      process.stderr.write(`setpoint: cannot write the log ${options.file}; logging to stderr\n`);
    destination = pino.destination({ dest: 2, sync: true });
  }
  const tee = new Tee(destination);
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, hostname: hostname(), ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The reconcile in progress; fields the call site gives win.
      mixin: reconcileFields,
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) =>
              typeof a === 'string' ? redactor.redact(a) : redactor.redactValue(a),
            ) as Parameters<typeof method>,
          );
        },
      },
    },
    tee,
  );
  tees.set(logger, tee);
  return logger;
}

function reconcileFields(): Record<string, string> {
  const out: Record<string, string> = {};
  // A line written inside a span names it, so logs and traces join on trace_id.
  const span = otelInUse() ? otel().trace.getActiveSpan()?.spanContext() : undefined;
  if (span && otel().isSpanContextValid(span)) {
    out.trace_id = span.traceId;
    out.span_id = span.spanId;
  }
  const ctx = currentReconcile();
  if (!ctx) return out;
  out.resourceId = ctx.resourceId;
  out.reconcileId = ctx.reconcileId;
  if (ctx.revisionId) out.revisionId = ctx.revisionId;
  return out;
}

/**
 * SIGHUP reopens the logger's file by its name, as logrotate expects
 * (`postrotate: kill -HUP PID`). For daemons only: a one-shot command keeps
 * the default (SIGHUP ends it). Returns the function that stops it.
 */
export function reopenOnHangup(logger: Logger): () => void {
  const primary = tees.get(logger)?.primary;
  if (!(primary instanceof FileSink)) return () => undefined;
  const onHup = () => {
    primary.reopen();
    logger.info({ file: primary.file }, 'log file reopened (SIGHUP)');
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}

type Flushable = pino.DestinationStream & { flush?(cb?: (err?: Error) => void): void; flushSync?(): void };

/** The logger's destination, plus an optional mirror of every line (the terminal). */
class Tee implements pino.DestinationStream {
  mirror: ((line: string) => void) | undefined;
  constructor(readonly primary: Flushable) {}
  write(line: string): void {
    this.primary.write(line);
    this.mirror?.(line);
  }
  flush(cb?: (err?: Error) => void): void {
    if (this.primary.flush) this.primary.flush(cb);
    else cb?.();
  }
  flushSync(): void {
    this.primary.flushSync?.();
  }
}

const tees = new WeakMap<Logger, Tee>();

export interface ConsoleOptions {
  /** pretty: one readable line per entry (see log-format.ts); json: the lines as they are. */
  format: 'pretty' | 'json';
  /** Defaults to false. */
  colors?: boolean;
  /** Defaults to stderr. */
  write?: (text: string) => void;
}

/**
 * Mirrors every line of a logger made by `createLogger` to a terminal (or
 * `write`), on top of its file. Returns a function that stops the mirror.
 */
export function attachConsole(logger: Logger, options: ConsoleOptions): () => void {
  const tee = tees.get(logger);
  if (!tee) return () => undefined;
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  tee.mirror =
    options.format === 'json'
      ? (line) => write(line)
      : (line) => write(formatLogLine(line, { colors: options.colors }));
  return () => {
    tee.mirror = undefined;
  };
}

function writable(file: string): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
    return true;
  } catch {
    return false;
  }
}

/** Flushes a file logger before the process exits: resolves once the lines written so far reached the file (or were dropped). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    // Bounded: a destination that never answers must not hold up the exit.
    const timer = setTimeout(resolve, 2000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      logger.flush(done);
    } catch {
      // a closed destination has nothing to flush
      done();
    }
  });
}

/** A logger that drops everything (tests, --quiet library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
