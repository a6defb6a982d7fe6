import type { Predicate } from './types.js';

/** The subject is of one of these kinds. */
export function ofKinds(kinds: readonly string[]): Predicate {
  const set = new Set(kinds);
  return (subject) => set.has(subject.kind);
}
