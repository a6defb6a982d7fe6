/**
 * Debug page of one resource (/r/Kind/namespace/name): desired vs actual
 * with the field diff (observed live), conditions, events (live), the
 * audited actions and revisions that touched it, its reconcile spans
 * (a waterfall of phases), its dependency neighbours, and the actions a person can take on it: approve or reject a
 * pending action, resume a Conflict, trigger a sync — each behind a
 * confirmation and shown only to roles that may. A resource that no
 * longer exists shows when and by which revision it went, with its history.
 */
import { allows, resourcePath } from '../api';
import { Badge } from '../components/badge';
import { ConfirmButton } from '../components/confirm';
import { ago, value } from '../components/format';
import { SpanWaterfall } from '../components/spans';
import { useApi, useLive, useSession } from '../hooks';
import type {
  Approval,
  AuditEntry,
  Change,
  EventRecord,
  ReconcileSpan,
  ResourceFate,
  ResourceRecord,
} from '../types';

interface Description {
  id: string;
  record?: ResourceRecord;
  desired?: unknown;
  actual?: unknown;
  exists: boolean;
  changes: Change[];
  events: EventRecord[];
  diagnostics: Array<{ summary: string; detail?: string }>;
}

export function Debug({ id }: { id: string }) {
  const { api, who, live } = useSession();
  useLive();
  const path = resourcePath(id);
  const desc = useApi<Description>(`/api/v1/resources/${path}?live=true`);
  const approvals = useApi<{ items: Approval[] }>('/api/v1/approvals');
  const audit = useApi<{ items: AuditEntry[] }>(`/api/v1/audit?resource=${encodeURIComponent(id)}&limit=50`);
  const spans = useApi<{ items: ReconcileSpan[] }>(`/api/v1/resources/${path}/spans?limit=20`);
  const fate = useApi<ResourceFate>(`/api/v1/resources/${path}/fate`);
  const gone = fate.data && !fate.data.exists ? fate.data : undefined;
  // A deleted resource has no description: its events come from the event log.
  const pastEvents = useApi<{ items: EventRecord[] }>(
    gone ? `/api/v1/events?resource=${encodeURIComponent(id)}&limit=100` : undefined,
  );
  const d = gone ? undefined : desc.data;
  const r = d?.record;
  const row = live.rows.get(id);
  const pending = (approvals.data?.items ?? []).filter((a) => a.resourceId === id);
  const liveEvents = live.events.filter((e) => e.resourceId === id);
  const seen = new Set<number | undefined>();
  const events = [...(d?.events ?? []), ...(gone ? (pastEvents.data?.items ?? []) : []), ...liveEvents]
    .filter((e) => (e.seq === undefined ? true : !seen.has(e.seq) && (seen.add(e.seq), true)))
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.time.localeCompare(b.time))
    .reverse();
  const dependents = [...live.rows.values()].filter((x) => x.dependsOn.includes(id)).map((x) => x.id);
  const reloadAll = () => {
    desc.reload();
    approvals.reload();
    audit.reload();
    spans.reload();
    fate.reload();
  };
  const role = who.token.role;
  return (
    <main id="main" class="view">
      <nav aria-label="Breadcrumb" class="muted">
        <a href="/oncall">On-call</a> › {id}
      </nav>
      <h1 class="resource-title">{id}</h1>
      {gone ? (
        <p class="notice" role="status" data-testid="deleted">
          <strong>This resource was deleted</strong> (last seen {ago(gone.lastSeen)}
          {gone.deletion?.revisionId && (
            <>
              , by revision <code>{gone.deletion.revisionId.slice(0, 12)}</code>
            </>
          )}
          )
          {gone.deletion && (
            <>
              : {gone.deletion.action} by {gone.deletion.actor},{' '}
              <time dateTime={gone.deletion.at} title={gone.deletion.at}>
                {ago(gone.deletion.at)}
              </time>
            </>
          )}
          . Its history is below.
        </p>
      ) : (
        desc.error && (
          <p role="alert" class="error">
            {desc.error}
          </p>
        )
      )}
      {!gone && (
        <div class="status-line">
          <Badge state={row?.sync ?? r?.sync ?? 'Unknown'} />{' '}
          <Badge state={row?.health ?? r?.health ?? 'Unknown'} />
          {(row?.message ?? r?.lastError) && <span class="muted">{row?.message ?? r?.lastError}</span>}
          {r?.origin && <span class="muted small">declared at {r.origin}</span>}
        </div>
      )}
      {!gone && (
        <section aria-label="Actions" class="actions">
          {allows(role, 'approver') &&
            pending.map((a) => (
              <span key={a.id}>
                <ConfirmButton
                  label={`Approve ${a.op}`}
                  danger={a.destructive}
                  withNote
                  question={`Approve: ${a.op} ${id}? serve acts at once.`}
                  action={(note) => api.post(`/api/v1/approvals/${a.id}/approve`, note ? { note } : {})}
                  onDone={reloadAll}
                />
                <ConfirmButton
                  label="Reject"
                  withNote
                  question={`Reject: ${a.op} ${id}?`}
                  action={(note) => api.post(`/api/v1/approvals/${a.id}/reject`, note ? { note } : {})}
                  onDone={reloadAll}
                />
              </span>
            ))}
          {!allows(role, 'approver') && pending.length > 0 && (
            <span class="muted">
              A {pending[0].op} waits for an approver (your role: {role}).
            </span>
          )}
          {allows(role, 'operator') && (row?.sync ?? r?.sync) === 'Conflict' && (
            <ConfirmButton
              label="Resume"
              question={`Resume ${id}? serve remediates it again.`}
              action={() => api.post(`/api/v1/resources/${path}/resume`)}
              onDone={reloadAll}
            />
          )}
          {allows(role, 'operator') && who.token.namespaces.length === 0 && (
            <ConfirmButton
              label="Sync now"
              question="Fetch the sources now and look at every resource again?"
              action={() => api.post('/api/v1/sync', {})}
              onDone={reloadAll}
            />
          )}
        </section>
      )}
      <div class="grid">
        {!gone && (
          <section aria-labelledby="diff-h">
            <h2 id="diff-h">
              Desired vs actual ({d?.changes.length ?? 0} field{d?.changes.length === 1 ? '' : 's'} differ)
            </h2>
            {d && !d.exists && <p class="warn-text">The target does not exist.</p>}
            {d && d.changes.length === 0 ? (
              <p class="muted">No difference: the actual state matches the desired state.</p>
            ) : (
              <table class="diff" aria-label="Field diff">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Actual</th>
                    <th scope="col">Desired</th>
                  </tr>
                </thead>
                <tbody>
                  {d?.changes.map((c) => (
                    <tr key={c.path}>
                      <th scope="row">
                        <code>{c.path}</code>
                      </th>
                      <td class="old">
                        <pre>{(c as { sensitive?: boolean }).sensitive ? '(secret)' : value(c.old)}</pre>
                      </td>
                      <td class="new">
                        <pre>{(c as { sensitive?: boolean }).sensitive ? '(secret)' : value(c.new)}</pre>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {d?.diagnostics.map((x, i) => (
              <p key={i} class="warn-text">
                {x.summary}
              </p>
            ))}
            <details>
              <summary>Desired and actual as data</summary>
              <div class="two">
                <div>
                  <h3>Desired</h3>
                  <pre>{value(d?.desired)}</pre>
                </div>
                <div>
                  <h3>Actual</h3>
                  <pre>{value(d?.actual)}</pre>
                </div>
              </div>
            </details>
          </section>
        )}
        {!gone && (
          <section aria-labelledby="cond-h">
            <h2 id="cond-h">Conditions</h2>
            {(r?.conditions.length ?? 0) === 0 ? (
              <p class="muted">None recorded.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  {r!.conditions.map((c) => (
                    <tr key={c.type}>
                      <th scope="row">{c.type}</th>
                      <td>{c.status}</td>
                      <td>{c.reason}</td>
                      <td>{c.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <h2 id="deps-h">Dependencies</h2>
            <ul aria-labelledby="deps-h" class="deps">
              {(r?.dependsOn ?? []).map((x) => (
                <li key={x}>
                  needs <a href={`/r/${resourcePath(x)}`}>{x}</a>
                </li>
              ))}
              {dependents.map((x) => (
                <li key={x}>
                  needed by <a href={`/r/${resourcePath(x)}`}>{x}</a>
                </li>
              ))}
              {(r?.dependsOn.length ?? 0) + dependents.length === 0 && (
                <li class="muted">No dependencies either way.</li>
              )}
            </ul>
          </section>
        )}
        <section aria-labelledby="spans-h" class="wide">
          <h2 id="spans-h">Reconcile spans</h2>
          {spans.error && (
            <p role="alert" class="error">
              {spans.error}
            </p>
          )}
          <SpanWaterfall spans={spans.data?.items ?? []} />
        </section>
        <section aria-labelledby="ev-h">
          <h2 id="ev-h">Events (live)</h2>
          {events.length === 0 ? (
            <p class="muted">No events.</p>
          ) : (
            <ul class="events" aria-label="Events" data-testid="events">
              {events.slice(0, 100).map((e) => (
                <li key={`${e.seq}-${e.time}`} class={e.type === 'Warning' ? 'warn' : ''}>
                  <time dateTime={e.time}>{ago(e.time)}</time> <strong>{e.reason}</strong>{' '}
                  <span>{e.message}</span>
                  {e.revisionId && <span class="muted small"> rev {e.revisionId.slice(0, 7)}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="rev-h">
          <h2 id="rev-h">Revisions and actions that touched it</h2>
          {(audit.data?.items.length ?? 0) === 0 ? (
            <p class="muted">No audited actions.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Who</th>
                  <th scope="col">Revision</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {[...audit.data!.items].reverse().map((a) => (
                  <tr key={a.seq}>
                    <td>
                      <time dateTime={a.time}>{ago(a.time)}</time>
                    </td>
                    <td>
                      {a.action}
                      {a.detail && Object.keys(a.detail).length > 0 && (
                        <details>
                          <summary>detail</summary>
                          <pre>{JSON.stringify(a.detail, null, 2)}</pre>
                        </details>
                      )}
                    </td>
                    <td>{a.actor}</td>
                    <td>{a.revisionId ? <code>{a.revisionId.slice(0, 12)}</code> : '—'}</td>
                    <td>{a.result}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </main>
  );
}
