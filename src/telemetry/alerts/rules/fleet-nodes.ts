/**
 * NodeOffline and NodeBehind: enrolled nodes (`setpoint agent`) that stopped
 * reporting, or that still hold an older set than the current one. One alert
 * per node, to its `owner` label, else `defaultOwner`. Ticket.
 *
 * Offline already means no report for 3 check intervals, so NodeOffline fires
 * at once; NodeBehind waits `fleet.behindAfter` (10m) by default, since every
 * node is behind for a moment after each new revision until its long poll
 * picks the set up.
 */
import { formatDuration } from '../../../util/duration.js';
import type { Candidate, NodeSeen, Rule, RuleInput } from '../types.js';

const ownerOfNode = (n: NodeSeen, input: RuleInput): string => n.labels.owner || input.settings.defaultOwner;

const lastHeard = (n: NodeSeen, now: number): string =>
  n.lastSeenAt ? `last heard from ${formatDuration(now - Date.parse(n.lastSeenAt))} ago` : 'never heard from';

export const nodeOffline: Rule = (input, config) =>
  input.nodes
    .filter((n) => n.offline)
    .map((n): Candidate => ({
      rule: 'NodeOffline',
      severity: config.severity ?? 'ticket',
      labels: { owner: ownerOfNode(n, input), node: n.name },
      annotations: {
        summary: `node ${n.name} is offline (${lastHeard(n, input.now)})`,
        description: `Its agent has not reported for 3 check intervals: its resources are neither updated nor watched for drift from here. \`setpoint status --node ${n.name}\` shows its last report; check the agent's service and its log on the host.`,
      },
      forMs: config.forMs ?? 0,
    }));

export const nodeBehind: Rule = (input, config) =>
  input.nodes
    .filter((n) => n.behind && !n.offline) // an offline node alerts as NodeOffline
    .map((n): Candidate => ({
      rule: 'NodeBehind',
      severity: config.severity ?? 'ticket',
      labels: { owner: ownerOfNode(n, input), node: n.name },
      annotations: {
        summary: `node ${n.name} is behind: it holds ${n.appliedRevision ? `the set of revision ${n.appliedRevision}` : 'no set yet'}, not the current one`,
        description: `Still behind after ${formatDuration(config.forMs ?? input.nodeBehindAfterMs)} (fleet.behindAfter); ${lastHeard(n, input.now)}. Its agent reports but has not taken the current set; its log on the host (agent.log) says why, often a signature it cannot verify.`,
      },
      forMs: config.forMs ?? input.nodeBehindAfterMs,
    }));
