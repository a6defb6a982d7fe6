import type { Predicate } from './types.js';

/** The subject is in one of these namespaces. */
export function inNamespaces(namespaces: readonly string[]): Predicate {
  const set = new Set(namespaces);
  return (subject) => set.has(subject.namespace);
}
