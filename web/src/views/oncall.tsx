/**
 * On-call: what needs a person now. Failing and conflicting resources by
 * severity with their reason and since when, convergence p95/p99 (overall
 * and per critical resource), recent automatic remediations, queue depth,
 * leader and replicas, active alerts (ack, silence), pending approvals, and
 * every resource (virtualised, filterable).
 */
import { useMemo, useState } from 'preact/hooks';
import { resourcePath } from '../api';
import { AlertList } from '../components/alerts';
import { ApprovalList } from '../components/approvals';
import { Badge } from '../components/badge';
import { ago, ms, pct, quantile, SEVERITY } from '../components/format';
import { CriticalPanel, LeaderPanel } from '../components/oncall-panels';
import { VirtualList } from '../components/virtual-list';
import { useApi, useLive, useSession } from '../hooks';
import type { Alert, Approval, CriticalConvergence, Row, StatusAnswer } from '../types';

const REMEDIATION_REASONS = new Set(['Remediated', 'DriftResolved', 'Conflict', 'ApplyFailed', 'Failed']);

export function OnCall() {
  const { live } = useSession();
  useLive();
  const status = useApi<StatusAnswer>('/api/v1/status');
  const alerts = useApi<{ items: Alert[] }>('/api/v1/alerts');
  const approvals = useApi<{ items: Approval[] }>('/api/v1/approvals');
  const critical = useApi<CriticalConvergence>('/api/v1/convergence/critical');
  const [filter, setFilter] = useState('');
  const rows = [...live.rows.values()];
  const problems = rows
    .filter((r) => r.sync in SEVERITY && r.sync !== 'Applying')
    .sort(
      (a, b) =>
        SEVERITY[a.sync] - SEVERITY[b.sync] ||
        (a.priority === 'critical' ? -1 : 0) ||
        a.since.localeCompare(b.since),
    );
  const all = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = f ? rows.filter((r) => r.id.toLowerCase().includes(f) || r.sync.toLowerCase() === f) : rows;
    // Ids are ASCII: a plain comparison is several times faster than localeCompare on 10,000 rows.
    return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }, [live.version, filter]);
  const remediations = live.events
    .filter((e) => e.resourceId && REMEDIATION_REASONS.has(e.reason))
    .slice(-15)
    .reverse();
  const conv = status.data?.convergence;
  const revSeconds = (conv?.revisions ?? []).flatMap((r) =>
    r.convergenceSeconds !== undefined ? [r.convergenceSeconds * 1000] : [],
  );
  const serve = status.data?.serve;
  const bySync = new Map<string, number>();
  for (const r of rows) bySync.set(r.sync, (bySync.get(r.sync) ?? 0) + 1);
  return (
    <main id="main" class="view">
      <h1>On-call</h1>
      {status.error && (
        <p role="alert" class="error">
          {status.error}
        </p>
      )}
      <section aria-label="Figures" class="tiles">
        <Tile
          label="Failing or conflicting"
          value={String(problems.filter((p) => p.sync === 'Failed' || p.sync === 'Conflict').length)}
        />
        <Tile label="Drifted" value={String(bySync.get('Drifted') ?? 0)} />
        <Tile label="Resources" value={String(rows.length)} testid="resource-count" />
        <Tile label="Queue depth" value={serve ? `${serve.queueDepth} (${serve.processing} running)` : '—'} />
        <Tile
          label="Remediation p95 / p99"
          value={`${ms(conv?.remediationMs.p95)} / ${ms(conv?.remediationMs.p99)}`}
        />
        <Tile
          label="Convergence p95 / p99"
          value={`${ms(quantile(revSeconds, 0.95))} / ${ms(quantile(revSeconds, 0.99))}`}
        />
        <Tile label="Auto-remediated" value={pct(conv?.autoRemediationRatio)} />
      </section>
      {serve && serve.degraded.length > 0 && (
        <p role="alert" class="error">
          serve is not acting: {serve.degraded.map((d) => d.message).join('; ')}
        </p>
      )}
      <div class="grid">
        <section aria-labelledby="problems-h">
          <h2 id="problems-h">Needs attention ({problems.length})</h2>
          <ResourceTable
            items={problems}
            label="Resources needing attention"
            empty="Everything is in sync."
            height={360}
          />
        </section>
        <section aria-labelledby="alerts-h">
          <h2 id="alerts-h">Active alerts ({alerts.data?.items.length ?? 0})</h2>
          {alerts.error && (
            <p role="alert" class="error">
              {alerts.error}
            </p>
          )}
          <AlertList items={alerts.data?.items ?? []} onDone={alerts.reload} />
        </section>
        <section aria-labelledby="approvals-h">
          <h2 id="approvals-h">Pending approvals ({approvals.data?.items.length ?? 0})</h2>
          <ApprovalList items={approvals.data?.items ?? []} onDone={approvals.reload} />
        </section>
        <CriticalPanel data={critical.data} error={critical.error} />
        <LeaderPanel status={status.data} />
        <section aria-labelledby="rem-h">
          <h2 id="rem-h">Recent remediations</h2>
          {remediations.length === 0 ? (
            <p class="muted">None yet.</p>
          ) : (
            <ul class="events" aria-label="Recent remediations">
              {remediations.map((e) => (
                <li key={e.seq} class={e.type === 'Warning' ? 'warn' : ''}>
                  <time dateTime={e.time}>{ago(e.time)}</time> <strong>{e.reason}</strong>{' '}
                  <a href={`/r/${resourcePath(e.resourceId!)}`}>{e.resourceId}</a>{' '}
                  <span class="muted">{e.message}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section aria-labelledby="all-h">
        <h2 id="all-h">All resources ({all.length})</h2>
        <label class="filter">
          Filter by id or sync state
          <input
            type="search"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
            placeholder="File/web/ or Drifted"
          />
        </label>
        <ResourceTable items={all} label="All resources" height={480} />
      </section>
    </main>
  );
}

function Tile({ label, value, testid }: { label: string; value: string; testid?: string }) {
  return (
    <div class="tile" data-testid={testid}>
      <div class="tile-value">{value}</div>
      <div class="tile-label">{label}</div>
    </div>
  );
}

export function ResourceTable({
  items,
  label,
  empty,
  height,
}: {
  items: Row[];
  label: string;
  empty?: string;
  height?: number;
}) {
  return (
    <VirtualList
      items={items}
      rowHeight={44}
      height={height}
      label={label}
      empty={empty}
      header={
        <>
          <span role="columnheader" class="c-id">
            Resource
          </span>
          <span role="columnheader" class="c-state">
            Sync
          </span>
          <span role="columnheader" class="c-state">
            Health
          </span>
          <span role="columnheader" class="c-msg">
            Reason
          </span>
          <span role="columnheader" class="c-since">
            Since
          </span>
        </>
      }
      row={(r) => (
        <>
          <span role="cell" class="c-id">
            <a href={`/r/${resourcePath(r.id)}`}>{r.id}</a>
          </span>
          <span role="cell" class="c-state">
            <Badge state={r.sync} />
          </span>
          <span role="cell" class="c-state">
            <Badge state={r.health} />
          </span>
          <span role="cell" class="c-msg" title={r.message}>
            {r.message ?? ''}
          </span>
          <span role="cell" class="c-since">
            <time dateTime={r.since}>{ago(r.since)}</time>
          </span>
        </>
      )}
    />
  );
}
