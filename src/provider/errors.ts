/** Errors raised by providers carry a code, the field at fault and a hint. */
import { SetpointError } from '../errors.js';

export class ProviderError extends SetpointError {
  override readonly name = 'ProviderError';
  constructor(
    message: string,
    readonly options: {
      code?: string;
      field?: string;
      hint?: string;
      cause?: unknown;
      /** Not a failure to back off from: try again after this long (e.g. a crash-loop backoff). */
      retryAfterMs?: number;
    } = {},
  ) {
    super(message, options.code ?? 'SETPOINT_PROVIDER_FAILED', { hint: options.hint, cause: options.cause });
  }
  get field(): string | undefined {
    return this.options.field;
  }
  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }
}

/** Hints for the OS errors a user can do something about. */
export function hintForErrno(code: string | undefined, path?: string): string | undefined {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `run setpoint as a user that may change ${path ?? 'the target'}, or change spec.path`;
    case 'ENOENT':
      return 'declare the parent Directory and add it to dependsOn';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return undefined;
  }
}

/** Wraps an OS error into a ProviderError with a sentence and a hint. */
export function fsError(action: string, path: string, err: unknown, field = 'spec.path'): ProviderError {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'EACCES' || e.code === 'EPERM'
      ? 'permission denied'
      : e.code === 'ENOENT'
        ? 'no such file or folder'
        : (e.code ?? e.message);
  return new ProviderError(`${reason} ${action} ${path}`, {
    code: 'SETPOINT_APPLY_FAILED',
    field,
    hint: hintForErrno(e.code, path),
    cause: err,
  });
}
