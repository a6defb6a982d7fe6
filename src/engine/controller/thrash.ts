/**
 * The thrash guard: a resource repaired more than K times within W is being
 * fought over by another actor. Pure functions over the repair history kept
 * in the resource's record.
 */

export interface Repair {
  at: string;
  fields: string[];
}

/** The history within the window, plus `now`'s repair when given. */
export function recentRepairs(
  history: readonly Repair[] | undefined,
  now: number,
  windowMs: number,
): Repair[] {
  return (history ?? []).filter((r) => now - Date.parse(r.at) < windowMs);
}

/** True when another repair would exceed `max` repairs within the window. */
export function isThrashing(
  history: readonly Repair[] | undefined,
  now: number,
  windowMs: number,
  max: number,
): boolean {
  return recentRepairs(history, now, windowMs).length >= max;
}

/** The fields that keep flipping: those changed in the most repairs, most frequent first. */
export function flippingFields(history: readonly Repair[]): string[] {
  const counts = new Map<string, number>();
  for (const r of history) for (const f of r.fields) counts.set(f, (counts.get(f) ?? 0) + 1);
  const top = Math.max(0, ...counts.values());
  return [...counts.entries()]
    .filter(([, n]) => n === top)
    .map(([f]) => f)
    .sort();
}
