/**
 * The fleet at a glance, shown once nodes have enrolled: how many are
 * online, offline (no report for three check intervals) and behind (their
 * agent holds an older set than the current one), and the nodes that need a
 * look first. Refreshed as live events arrive.
 */
import { useApi } from '../hooks';
import type { NodeInfo } from '../types';
import { ago } from './format';

/** Worst first: offline, behind, with failures, then by name. */
function rank(n: NodeInfo): number {
  return n.offline ? 0 : n.behind ? 1 : n.counts.failed > 0 ? 2 : n.counts.drifted > 0 ? 3 : 4;
}

export function Fleet() {
  // Reports arrive as events; a node going silent does not, hence the clock too.
  const nodes = useApi<{ items: NodeInfo[] }>('/api/v1/nodes', { everyMs: 30_000 });
  const all = (nodes.data?.items ?? []).filter((n) => !n.revokedAt);
  if (nodes.error)
    return (
      <section aria-labelledby="nodes-h">
        <h2 id="nodes-h">Fleet</h2>
        <p role="alert" class="error">
          {nodes.error}
        </p>
      </section>
    );
  if (all.length === 0) return null;
  const offline = all.filter((n) => n.offline).length;
  const behind = all.filter((n) => !n.offline && n.behind).length;
  const online = all.length - offline;
  const sorted = [...all].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name)).slice(0, 10);
  return (
    <section aria-labelledby="nodes-h">
      <h2 id="nodes-h">Fleet</h2>
      <ul class="counts" aria-label="Nodes by state" data-testid="fleet-counts">
        <li>
          <span class="badge badge-healthy">online</span> <span data-testid="nodes-online">{online}</span>
        </li>
        <li>
          <span class="badge badge-failed">offline</span> <span data-testid="nodes-offline">{offline}</span>
        </li>
        <li>
          <span class="badge badge-drifted">behind</span> <span data-testid="nodes-behind">{behind}</span>
        </li>
      </ul>
      <table aria-label={`Nodes, worst first (${sorted.length} of ${all.length})`}>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">State</th>
            <th scope="col">Set</th>
            <th scope="col">Resources</th>
            <th scope="col">Last contact</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((n) => (
            <tr key={n.name} data-node={n.name}>
              <th scope="row">{n.name}</th>
              <td>
                <span class={`badge badge-${n.offline ? 'failed' : 'healthy'}`}>
                  {n.offline ? 'offline' : 'online'}
                </span>
              </td>
              <td title={n.appliedDigest ? `applied ${n.appliedDigest}` : undefined}>
                {n.behind ? (
                  <span class="badge badge-drifted">behind</span>
                ) : n.appliedDigest ? (
                  'current'
                ) : (
                  '—'
                )}
              </td>
              <td>
                {n.counts.inSync}/{n.counts.total} in sync
                {n.counts.drifted > 0 && `, ${n.counts.drifted} drifted`}
                {n.counts.failed > 0 && `, ${n.counts.failed} failed`}
              </td>
              <td>{n.lastSeenAt ? ago(n.lastSeenAt) : 'never'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
