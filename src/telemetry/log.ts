/**
 * Structured JSON logs (pino). Every line about a resource carries its id and
 * the revision id; secret values are scrubbed from every string before the
 * line is written, whatever field it is in.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { redactor } from '../secrets/index.js';

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
    const file = pino.destination({ dest: options.file, sync: false, append: true });
    file.on('error', () => undefined); // a log that cannot be written must not stop a run
    destination = file;
  } else {
    if (options.file) process.stderr.write(`setpoint: cannot write the log ${options.file}; logging to stderr\n`);
    destination = pino.destination({ dest: 2, sync: true });
  }
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactor.redact(a) : redactor.redactValue(a))) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
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

/** Flushes a file logger before the process exits. */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // a closed destination has nothing to flush
  }
}

/** A logger that drops everything (tests, --quiet library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
