/**
 * The one error base class. Every error setpoint throws on purpose extends
 * it, so the CLI and the HTTP server each map errors in one place: a stable
 * machine `code` (`SETPOINT_*`), a one-line message, a `hint` saying what to
 * do about it, the `cause` it wraps (kept, for logs and `--debug`), and the
 * diagnostics that were collected when there are several problems at once.
 */
import type { Diagnostic } from './manifest/diagnostics.js';

/** What an error may carry besides its message and code. */
/** The code of a secret reference that does not resolve (unset variable, unreadable file, failing command). Here, not in engine/observe.ts, so the CLI's plan printer needs no engine code. */
export const SECRET_UNRESOLVED = 'SETPOINT_SECRET_UNRESOLVED';

export interface ErrorDetails {
  /** What to do about it, one sentence. */
  hint?: string;
  /** The error this one explains. */
  cause?: unknown;
  /** Every problem found, when there were several (file:line, resource id, field). */
  diagnostics?: Diagnostic[];
}

export class SetpointError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly diagnostics: Diagnostic[];

  /**
   * `new SetpointError(message, code, {hint, cause, diagnostics})`; the older
   * positional form `(message, code, hint, diagnostics)` is accepted too.
   */
  constructor(message: string, code: string, details?: ErrorDetails | string, diagnostics?: Diagnostic[]) {
    const d: ErrorDetails =
      typeof details === 'string' ? { hint: details, diagnostics } : (details ?? { diagnostics });
    super(message, d.cause === undefined ? undefined : { cause: d.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = d.hint;
    this.diagnostics = d.diagnostics ?? diagnostics ?? [];
  }

  /** The message with its hint, as a person reads it. */
  explain(): string {
    return this.hint ? `${this.message} (hint: ${this.hint})` : this.message;
  }
}

/** True for any setpoint error, whatever its subclass. */
export function isSetpointError(err: unknown): err is SetpointError {
  return err instanceof SetpointError;
}

/** The code of any thrown value: a SetpointError's code, a Node errno code, or SETPOINT_INTERNAL. */
export function errorCode(err: unknown): string {
  if (err instanceof SetpointError) return err.code;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'SETPOINT_INTERNAL';
}
