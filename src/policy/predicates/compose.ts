/** Composing predicates: all of, any of, not (controller-runtime's predicates). */
import type { Predicate } from './types.js';

/** Holds when every predicate holds; no predicates = always. */
export function allOf(...predicates: Predicate[]): Predicate {
  return (subject) => predicates.every((p) => p(subject));
}

/** Holds when at least one predicate holds; no predicates = never. */
export function anyOf(...predicates: Predicate[]): Predicate {
  return (subject) => predicates.some((p) => p(subject));
}

export function not(predicate: Predicate): Predicate {
  return (subject) => !predicate(subject);
}
