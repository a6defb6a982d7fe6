/** Pending approvals with Approve / Reject, shown only to tokens whose role may decide (approver, admin). */
import { allows, resourcePath } from '../api';
import { useSession } from '../hooks';
import type { Approval } from '../types';
import { ConfirmButton } from './confirm';
import { ago } from './format';

export function ApprovalList({ items, onDone }: { items: Approval[]; onDone: () => void }) {
  const { api, who } = useSession();
  const mayDecide = allows(who.token.role, 'approver');
  if (items.length === 0) return <p class="muted">No pending approvals.</p>;
  return (
    <ul class="cards" aria-label="Pending approvals">
      {items.map((a) => (
        <li key={a.id} class="card approval" data-approval={a.id}>
          <div>
            <strong class={a.destructive ? 'danger-text' : ''}>{a.op}</strong>{' '}
            <a href={`/r/${resourcePath(a.resourceId)}`}>{a.resourceId}</a>
            {a.destructive && <span class="badge badge-failed">destructive</span>}
          </div>
          <div class="muted">
            {a.reason} · proposed {ago(a.createdAt)} · {a.changes.length} change(s) · id {a.id.slice(0, 8)}
          </div>
          {a.fleet && (
            <div class="muted" data-targets={a.fleet.targets.length}>
              on {a.fleet.targets.length} node(s):{' '}
              {a.fleet.targets
                .map((t) => (t.state === 'pending' ? t.node : `${t.node} (${t.state})`))
                .join(', ')}
            </div>
          )}
          {mayDecide ? (
            <div class="actions">
              <ConfirmButton
                label="Approve"
                danger={a.destructive}
                withNote
                question={`Approve: ${a.op} ${a.resourceId}${a.fleet ? ` on ${a.fleet.targets.filter((t) => t.state === 'pending').length} node(s)` : ''}? ${a.fleet ? 'their agents act' : 'serve acts'} at once.`}
                action={(note) => api.post(`/api/v1/approvals/${a.id}/approve`, note ? { note } : {})}
                onDone={onDone}
              />
              <ConfirmButton
                label="Reject"
                withNote
                question={`Reject: ${a.op} ${a.resourceId}? serve leaves it as it is.`}
                action={(note) => api.post(`/api/v1/approvals/${a.id}/reject`, note ? { note } : {})}
                onDone={onDone}
              />
            </div>
          ) : (
            <div class="muted small">Deciding needs role approver (yours: {who.token.role}).</div>
          )}
        </li>
      ))}
    </ul>
  );
}
