/** Codes of the diagnostics and errors the policy module reports. */
import { SetpointError } from '../errors.js';

/** A Policy document that cannot be used: a CEL compile error, a non-boolean rule, a misplaced field. */
export const POLICY_INVALID = 'SETPOINT_POLICY_INVALID';
/** A resource violates a policy whose action is deny. */
export const POLICY_DENIED = 'SETPOINT_POLICY_DENIED';
/** A resource violates a policy whose action is warn. */
export const POLICY_WARNING = 'SETPOINT_POLICY_WARNING';
/** A policy test fixture that cannot be read or run. */
export const POLICY_FIXTURE_INVALID = 'SETPOINT_POLICY_FIXTURE_INVALID';

/** A problem with a policy test fixture, with the file and a hint. */
export class PolicyFixtureError extends SetpointError {
  override readonly name = 'PolicyFixtureError';
  constructor(
    message: string,
    readonly file: string,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, POLICY_FIXTURE_INVALID, { hint, cause: options?.cause });
  }
}
