import type { Predicate } from './types.js';

/** The subject carries every one of these labels with exactly these values (a label selector). */
export function hasLabels(labels: Readonly<Record<string, string>>): Predicate {
  const wanted = Object.entries(labels);
  return (subject) => wanted.every(([k, v]) => Object.hasOwn(subject.labels, k) && subject.labels[k] === v);
}
