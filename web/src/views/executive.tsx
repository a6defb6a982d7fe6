/**
 * Executive: how well the declared state holds. Drift ratio over the last
 * 24 h with the revisions admitted marked on it, SLOs with burn rates and
 * remaining error budget, policy violations by policy and action, pending
 * approvals, the resources' sync and health counts, the enrolled nodes
 * (online, offline, behind) and the goals with their gap, trend and time left.
 */
import { useMemo } from 'preact/hooks';
import { ApprovalList } from '../components/approvals';
import { Badge } from '../components/badge';
import { Chart } from '../components/chart';
import { Fleet } from '../components/fleet';
import { Goals } from '../components/goals';
import { Sources } from '../components/sources';
import { ago, ms, pct } from '../components/format';
import { useApi, useLive, useSession } from '../hooks';
import type { Approval, DriftTrend, PolicyListing, StatusAnswer } from '../types';

const fmtPct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;

export function Executive() {
  const { live } = useSession();
  useLive();
  const trend = useApi<DriftTrend>('/api/v1/trends/drift?window=24h&points=96');
  const status = useApi<StatusAnswer>('/api/v1/status');
  const policies = useApi<PolicyListing>('/api/v1/policies?limit=20');
  const approvals = useApi<{ items: Approval[] }>('/api/v1/approvals');
  const series = useMemo(() => {
    const t = trend.data;
    if (!t) return undefined;
    return {
      times: t.points.map((p) => Date.parse(p.time) / 1000),
      values: t.points.map((p) => p.ratio),
      marks: t.revisions.map((r) => ({ time: Date.parse(r.admittedAt) / 1000, label: r.id.slice(0, 7) })),
    };
  }, [trend.data]);
  const counts = new Map<string, number>();
  const health = new Map<string, number>();
  for (const r of live.rows.values()) {
    counts.set(r.sync, (counts.get(r.sync) ?? 0) + 1);
    health.set(r.health, (health.get(r.health) ?? 0) + 1);
  }
  const total = live.rows.size;
  const lastInterval = trend.data?.points.at(-1);
  const conv = status.data?.convergence;
  return (
    <main id="main" class="view">
      <h1>Executive</h1>
      <section aria-label="Summary" class="tiles">
        <div class="tile">
          <div class="tile-value" data-testid="drift-now">
            {pct(lastInterval?.ratio)}
          </div>
          <div class="tile-label">Drifted in the last 15 min</div>
        </div>
        <div class="tile">
          <div class="tile-value" data-testid="exec-resources">
            {live.loading ? `${total}+` : total}
          </div>
          <div class="tile-label">{live.loading ? 'Resources (loading the rest)' : 'Resources'}</div>
        </div>
        <div class="tile">
          <div class="tile-value">{pct(conv?.autoRemediationRatio)}</div>
          <div class="tile-label">Auto-remediated episodes</div>
        </div>
        <div class="tile">
          <div class="tile-value">{ms(conv?.remediationMs.p95)}</div>
          <div class="tile-label">Remediation p95</div>
        </div>
        <div class="tile">
          <div class="tile-value">{approvals.data?.items.length ?? '—'}</div>
          <div class="tile-label">Pending approvals</div>
        </div>
      </section>
      <section aria-labelledby="drift-h">
        <h2 id="drift-h">Drift ratio, last 24 h</h2>
        {trend.error && (
          <p role="alert" class="error">
            {trend.error}
          </p>
        )}
        {series && (
          <>
            <Chart
              label="Share of resources drifted over the last 24 hours; dashed lines mark admitted revisions"
              times={series.times}
              values={series.values}
              marks={series.marks}
              format={fmtPct}
            />
            <details>
              <summary>Revisions in the window ({trend.data!.revisions.length})</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Revision</th>
                    <th scope="col">Admitted</th>
                    <th scope="col">Converged after</th>
                  </tr>
                </thead>
                <tbody>
                  {trend.data!.revisions.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <code>{r.id.slice(0, 12)}</code>
                      </td>
                      <td>{ago(r.admittedAt)}</td>
                      <td>
                        {r.convergenceSeconds !== undefined ? ms(r.convergenceSeconds * 1000) : 'not yet'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        )}
      </section>
      <Goals />
      <div class="grid">
        <section aria-labelledby="slo-h">
          <h2 id="slo-h">SLOs and error budgets</h2>
          {(status.data?.slos.length ?? 0) === 0 ? (
            <p class="muted">No SLOs declared (setpoint.yaml `slos:`).</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">SLO</th>
                  <th scope="col">Objective</th>
                  <th scope="col">SLI</th>
                  <th scope="col">Budget left</th>
                  <th scope="col">Burn rates</th>
                </tr>
              </thead>
              <tbody>
                {status.data!.slos.map((s) => (
                  <tr key={s.spec.name}>
                    <th scope="row">
                      {s.spec.name}
                      {s.firing.length > 0 && <span class="badge badge-failed">burning</span>}
                    </th>
                    <td>{pct(s.spec.objective, 2)}</td>
                    <td>{pct(s.budget.sli, 2)}</td>
                    <td>
                      <meter
                        min={0}
                        max={1}
                        low={0.25}
                        high={0.5}
                        optimum={1}
                        value={Math.max(0, s.budget.remaining)}
                        aria-label={`${s.spec.name} error budget left`}
                      />{' '}
                      {pct(s.budget.remaining, 0)}
                    </td>
                    <td>
                      {Object.entries(s.burnRates)
                        .map(([w, r]) => `${w}: ${r.toFixed(2)}×`)
                        .join(' · ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section aria-labelledby="pol-h">
          <h2 id="pol-h">Policy violations by policy and action</h2>
          {(policies.data?.totals.length ?? 0) === 0 ? (
            <p class="muted">No violations recorded.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">Action</th>
                  <th scope="col">Violations</th>
                  <th scope="col">Blocked</th>
                  <th scope="col">Last</th>
                </tr>
              </thead>
              <tbody>
                {policies.data!.totals.map((t) => (
                  <tr key={`${t.policy}/${t.action}`}>
                    <th scope="row">{t.policy}</th>
                    <td>{t.action}</td>
                    <td>{t.count}</td>
                    <td>{t.blocked}</td>
                    <td>{ago(t.last)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section aria-labelledby="fleet-h">
          <h2 id="fleet-h">Sync and health</h2>
          <ul class="counts" aria-label="Resources by sync state">
            {[...counts].sort().map(([k, n]) => (
              <li key={k}>
                <Badge state={k} /> {n}
              </li>
            ))}
          </ul>
          <ul class="counts" aria-label="Resources by health">
            {[...health].sort().map(([k, n]) => (
              <li key={k}>
                <Badge state={k} /> {n}
              </li>
            ))}
          </ul>
        </section>
        <Fleet />
        <section aria-labelledby="appr-h">
          <h2 id="appr-h">Pending approvals</h2>
          <ApprovalList items={approvals.data?.items ?? []} onDone={approvals.reload} />
        </section>
      </div>
      <Sources />
    </main>
  );
}
