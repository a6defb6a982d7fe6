/**
 * Two on-call panels: convergence p95/p99 per critical resource (drift
 * detected -> in sync again, from the recorded drift episodes), and who
 * leads serve (role, term, leader, lease expiry) on one SQLite process or
 * several PostgreSQL replicas.
 */
import { resourcePath } from '../api';
import { Badge } from './badge';
import { ago, ms } from './format';
import type { CriticalConvergence, StatusAnswer } from '../types';

export function CriticalPanel({ data, error }: { data?: CriticalConvergence; error?: string }) {
  return (
    <section aria-labelledby="crit-h">
      <h2 id="crit-h">Convergence of critical resources (last 7 days)</h2>
      <p class="muted small">
        Drift detected → in sync again, per resource with <code>lifecycle.priority: critical</code>.
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {data && data.items.length === 0 ? (
        <p class="muted">No critical resource is declared.</p>
      ) : (
        <table aria-label="Convergence per critical resource" data-testid="critical">
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Sync</th>
              <th scope="col">Episodes</th>
              <th scope="col">p95</th>
              <th scope="col">p99</th>
              <th scope="col">Last drift</th>
            </tr>
          </thead>
          <tbody>
            {(data?.items ?? []).slice(0, 50).map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <a href={`/r/${resourcePath(c.id)}`}>{c.id}</a>
                </th>
                <td>
                  <Badge state={c.sync} />
                  {c.driftingSince && (
                    <div class="warn-text small">drifting since {ago(c.driftingSince)}</div>
                  )}
                </td>
                <td>{c.convergenceMs.count}</td>
                <td>{ms(c.convergenceMs.p95)}</td>
                <td>{ms(c.convergenceMs.p99)}</td>
                <td>
                  {c.lastDetectedAt ? <time dateTime={c.lastDetectedAt}>{ago(c.lastDetectedAt)}</time> : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function LeaderPanel({ status }: { status?: StatusAnswer }) {
  const serve = status?.serve;
  const lead = serve?.leadership;
  const expires = lead?.leaseExpiresAt ? Date.parse(lead.leaseExpiresAt) - Date.now() : undefined;
  return (
    <section aria-labelledby="leader-h" class="leader" data-testid="leader">
      <h2 id="leader-h">Leader and replicas</h2>
      {!status ? (
        <p class="muted">Loading…</p>
      ) : !serve || !lead ? (
        <p class="muted">This server does not run serve: nothing reconciles here.</p>
      ) : (
        <>
          <p>
            This replica is the <strong data-testid="role-of-replica">{lead.role}</strong>
            {status.store === 'postgres'
              ? ' (PostgreSQL: every replica serves reads, one leads and acts).'
              : ' (SQLite: the serve processes of one host share the state file; one leads).'}
          </p>
          <dl>
            <dt>Leader</dt>
            <dd>{lead.leader ?? 'nobody holds the lease'}</dd>
            <dt>Term</dt>
            <dd>{lead.term ?? '—'}</dd>
            <dt>Lease</dt>
            <dd>
              {expires === undefined
                ? 'not renewed'
                : expires >= 0
                  ? `renewed, runs out in ${ms(expires)} unless renewed again`
                  : `ran out ${ms(-expires)} ago`}
            </dd>
            <dt>This replica</dt>
            <dd>{lead.replica}</dd>
          </dl>
        </>
      )}
    </section>
  );
}
