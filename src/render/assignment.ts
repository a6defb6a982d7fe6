/**
 * `--var name=value`: the name rule and the split. Apart from variables.ts so
 * the CLI parses the option without loading zod or the manifest code.
 */

/** Names usable in `${name}`: also the suffix of a `SETPOINT_VAR_<name>` environment variable. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits `name=value` (the value may contain `=`); undefined when it is not of that shape. */
export function parseAssignment(text: string): { name: string; value: string } | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  const name = text.slice(0, eq);
  return VARIABLE_NAME.test(name) ? { name, value: text.slice(eq + 1) } : undefined;
}
