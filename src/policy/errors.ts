/** Codes of the diagnostics and errors the policy module reports. */

/** A Policy document that cannot be used: a CEL compile error, a non-boolean rule, a misplaced field. */
export const POLICY_INVALID = 'SETPOINT_POLICY_INVALID';
/** A resource violates a policy whose action is deny. */
export const POLICY_DENIED = 'SETPOINT_POLICY_DENIED';
/** A resource violates a policy whose action is warn. */
export const POLICY_WARNING = 'SETPOINT_POLICY_WARNING';
/** A policy test fixture that cannot be read or run. */
export const POLICY_FIXTURE_INVALID = 'SETPOINT_POLICY_FIXTURE_INVALID';

/** A problem with a policy test fixture, with the file and a hint. */
export class PolicyFixtureError extends Error {
  readonly code = POLICY_FIXTURE_INVALID;
  constructor(
    message: string,
    readonly file: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PolicyFixtureError';
  }
}
