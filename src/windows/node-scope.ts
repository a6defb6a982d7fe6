/**
 * Which change windows hold what: a window with a `nodeSelector` is enforced
 * by the agents of the nodes it selects (and only those); a window without
 * one holds the server host's own resources, as a resource without a
 * nodeSelector stays with the server host.
 */
import { selectorMatches } from '../manifest/index.js';
import type { WindowSpec } from './schema.js';

/** The windows the server host enforces itself. */
export function hostWindows(windows: readonly WindowSpec[]): WindowSpec[] {
  return windows.filter((w) => !w.nodeSelector);
}

/**
 * The windows that select a node with these labels (its labels and facts as
 * `facts.*`), without their selector: what the node's agent enforces.
 */
export function windowsForNode(
  windows: readonly WindowSpec[],
  labels: Readonly<Record<string, string>>,
): WindowSpec[] {
  return windows
    .filter((w) => w.nodeSelector && selectorMatches(w.nodeSelector, labels))
    .map(({ nodeSelector: _s, ...w }) => w);
}
