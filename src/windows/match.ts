/** Which resources a window applies to: one small predicate per `match` condition, all of which must hold. */
import type { Priority, Resource } from '../manifest/index.js';
import type { WindowMatch } from './schema.js';

/** What the evaluator needs to know about a resource. */
export interface WindowSubject {
  kind: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** `lifecycle.priority`. Defaults to normal. */
  priority?: Priority;
}

/** The subject of a declared resource. */
export function windowSubject(resource: Resource): WindowSubject {
  return {
    kind: resource.key.kind,
    namespace: resource.key.namespace,
    labels: resource.metadata.labels,
    priority: resource.lifecycle.priority,
  };
}

export type SubjectPredicate = (subject: WindowSubject) => boolean;

export function allOf(...predicates: SubjectPredicate[]): SubjectPredicate {
  return (subject) => predicates.every((p) => p(subject));
}

export function inNamespaces(namespaces: readonly string[]): SubjectPredicate {
  const set = new Set(namespaces);
  return (subject) => set.has(subject.namespace);
}

export function ofKinds(kinds: readonly string[]): SubjectPredicate {
  const set = new Set(kinds);
  return (subject) => set.has(subject.kind);
}

export function hasLabels(labels: Readonly<Record<string, string>>): SubjectPredicate {
  const wanted = Object.entries(labels);
  return (subject) => wanted.every(([k, v]) => Object.hasOwn(subject.labels, k) && subject.labels[k] === v);
}

/** The predicate of a window's `match`; no `match` (or an empty one) applies to every resource. */
export function matchPredicate(match: WindowMatch | undefined): SubjectPredicate {
  const predicates: SubjectPredicate[] = [];
  if (match?.namespaces) predicates.push(inNamespaces(match.namespaces));
  if (match?.kinds) predicates.push(ofKinds(match.kinds));
  if (match?.labels) predicates.push(hasLabels(match.labels));
  return allOf(...predicates);
}
