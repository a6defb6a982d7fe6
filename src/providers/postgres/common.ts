/** What the PostgreSQL kinds share besides the connection: the object's name, the create change, equality. */
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx } from '../../provider/types.js';

/** spec.name, else metadata.name, checked as PostgreSQL would take it. */
export function nameOf(spec: { name?: string }, ctx: Ctx): string {
  const name = spec.name ?? ctx.resource.metadata.name;
  if (Buffer.byteLength(name) > 63 || name.includes('\0'))
    throw new ProviderError(`${JSON.stringify(name)} is not a PostgreSQL name (at most 63 bytes)`, {
      code: 'SETPOINT_SPEC_INVALID',
      field: 'spec.name',
      hint: 'set spec.name when metadata.name is not the name in PostgreSQL',
    });
  return name;
}

/** The one change a create lists. */
export const CREATE: Change = { path: 'spec.ensure', old: 'absent', new: 'present' };

/** Adds a change when `want` is declared and differs from `old`. */
export function field(changes: Change[], path: string, old: unknown, want: unknown): void {
  if (want !== undefined && JSON.stringify(old) !== JSON.stringify(want))
    changes.push({ path, old, new: want });
}

/** A sorted copy without duplicates. */
export const sortedSet = (values: readonly string[]): string[] => [...new Set(values)].sort();

/** The object as read back after apply; absent means the apply did not converge. */
export function converged<T>(what: string, after: T | undefined): T {
  if (!after)
    throw new ProviderError(`${what} is missing after apply`, { code: 'SETPOINT_APPLY_UNCONVERGED' });
  return after;
}
