/**
 * Errors of the work queue and the token bucket. They are misuses the caller
 * can fix (a bad option, a NaN priority), so each carries a code, the key when
 * there is one, and a hint; the message ends with the hint.
 */

export type QueueErrorCode =
  | 'SETPOINT_QUEUE_INVALID_OPTION'
  | 'SETPOINT_QUEUE_INVALID_ARGUMENT'
  | 'SETPOINT_QUEUE_HOOK_FAILED';

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
