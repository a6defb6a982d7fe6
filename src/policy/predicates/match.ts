/** A policy's `match` as one predicate: every condition given must hold; none given matches everything. */
import type { PolicyMatch } from '../schema.js';
import { allOf } from './compose.js';
import { ofKinds } from './kinds.js';
import { hasLabels } from './labels.js';
import { inNamespaces } from './namespaces.js';
import type { Predicate } from './types.js';

export function matchPredicate(match: PolicyMatch | undefined): Predicate {
  const predicates: Predicate[] = [];
  if (match?.kinds) predicates.push(ofKinds(match.kinds));
  if (match?.namespaces) predicates.push(inNamespaces(match.namespaces));
  if (match?.labels && Object.keys(match.labels).length > 0) predicates.push(hasLabels(match.labels));
  return allOf(...predicates);
}
