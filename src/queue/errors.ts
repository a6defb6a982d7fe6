/**
 * Errors of the work queue and the token bucket, and the checks that raise
 * them. They are misuses the caller can fix (a bad option, a NaN priority), so
 * each carries a code, the key when there is one, and a hint; the message ends
 * with the hint. A hook that throws is not the caller's misuse of the queue:
 * `guarded` turns it into a process warning.
 */

export type QueueErrorCode =
  'SETPOINT_QUEUE_INVALID_OPTION' | 'SETPOINT_QUEUE_INVALID_ARGUMENT' | 'SETPOINT_QUEUE_HOOK_FAILED';

export class QueueError extends Error {
  readonly code: QueueErrorCode;
  readonly key: string | undefined;
  readonly hint: string | undefined;

  constructor(
    summary: string,
    options: { code: QueueErrorCode; key?: string; hint?: string; cause?: unknown },
  ) {
    super(options.hint ? `${summary} (hint: ${options.hint})` : summary, { cause: options.cause });
    this.name = 'QueueError';
    this.code = options.code;
    this.key = options.key;
    this.hint = options.hint;
  }
}

/** Refuses an option that is not a finite number within [min, max]. */
export function checkOption(owner: string, name: string, value: number, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `at least ${min}` : `between ${min} and ${max}`;
    throw new QueueError(`invalid ${owner} option ${name}: ${String(value)}`, {
      code: 'SETPOINT_QUEUE_INVALID_OPTION',
      hint: `use a finite number ${range}`,
    });
  }
  return value;
}

/** The priority of an add: 0 when not given; a finite number otherwise. */
export function checkPriority(key: string, priority: number | undefined): number {
  if (priority === undefined) return 0;
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new QueueError(`invalid priority for ${key}: ${String(priority)}`, {
      code: 'SETPOINT_QUEUE_INVALID_ARGUMENT',
      key,
      hint: 'use a finite number; lower numbers are served first',
    });
  }
  return priority;
}

/** Refuses a delay that is not a number (NaN included); any number, even negative, is fine. */
export function checkDelay(key: string, delayMs: number): void {
  if (typeof delayMs !== 'number' || Number.isNaN(delayMs)) {
    throw new QueueError(`invalid delay for ${key}: ${String(delayMs)}`, {
      code: 'SETPOINT_QUEUE_INVALID_ARGUMENT',
      key,
      hint: 'pass a number of milliseconds',
    });
  }
}

/** Runs a hook; a throw becomes a process warning instead of leaving the queue half-updated. */
export function guarded(key: string, hook: () => void): void {
  try {
    hook();
  } catch (err) {
    process.emitWarning(
      new QueueError(
        `work queue hook failed for ${key}: ${err instanceof Error ? err.message : String(err)}`,
        {
          code: 'SETPOINT_QUEUE_HOOK_FAILED',
          key,
          hint: 'hooks feed metrics and must not throw',
          cause: err,
        },
      ),
    );
  }
}
