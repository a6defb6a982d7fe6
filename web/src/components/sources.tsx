/**
 * Sources and their revisions, with roll back (pin a source to an earlier
 * revision) and unpin — for operators with an unscoped token, behind a
 * confirmation. Shown only when the project declares sources.
 */
import { allows } from '../api';
import { useApi, useSession } from '../hooks';
import { ConfirmButton } from './confirm';
import { ago, ms } from './format';

interface Source {
  name: string;
  kind: string;
  current?: string;
  pinned?: string;
  pinnedBy?: string;
  lastError?: string;
}

interface Revision {
  id: string;
  source: string;
  createdAt: string;
  admitted: boolean;
  author?: string;
  message?: string;
  commit?: string;
  convergedAt?: string;
}

export function Sources() {
  const { api, who } = useSession();
  const sources = useApi<{ items: Source[] }>('/api/v1/sources');
  const revisions = useApi<{ items: Revision[] }>('/api/v1/revisions?limit=20');
  const mayPin = allows(who.token.role, 'operator') && who.token.namespaces.length === 0;
  // A folder has no history to go back to: only Git sources roll back.
  const pinnable = (s: Source) => mayPin && s.kind === 'git';
  const list = sources.data?.items ?? [];
  if (list.length === 0) return null;
  const done = () => {
    sources.reload();
    revisions.reload();
  };
  return (
    <section aria-labelledby="src-h">
      <h2 id="src-h">Sources and revisions</h2>
      {sources.error && (
        <p role="alert" class="error">
          {sources.error}
        </p>
      )}
      {list.map((s) => {
        const inForce = s.pinned ?? s.current;
        const revs = (revisions.data?.items ?? []).filter((r) => r.source === s.name && r.admitted);
        return (
          <div key={s.name} class="source">
            <h3>
              {s.name} <span class="muted small">({s.kind})</span>{' '}
              {s.pinned && <span class="badge badge-held">pinned to {s.pinned.slice(0, 12)}</span>}
            </h3>
            {s.lastError && <p class="warn-text">{s.lastError}</p>}
            {s.pinned && pinnable(s) && (
              <ConfirmButton
                label="Unpin"
                question={`Unpin ${s.name}? It follows its latest admitted revision again.`}
                action={() => api.post(`/api/v1/sources/${encodeURIComponent(s.name)}/unpin`)}
                onDone={done}
              />
            )}
            <table aria-label={`Revisions of ${s.name}`}>
              <thead>
                <tr>
                  <th scope="col">Revision</th>
                  <th scope="col">Admitted</th>
                  <th scope="col">Converged after</th>
                  <th scope="col">Commit</th>
                  {pinnable(s) && <th scope="col">Action</th>}
                </tr>
              </thead>
              <tbody>
                {revs.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <code>{r.id.slice(0, 12)}</code>
                      {inForce && r.id.startsWith(inForce) && (
                        <span class="badge badge-insync">in force</span>
                      )}
                    </td>
                    <td>{ago(r.createdAt)}</td>
                    <td>{r.convergedAt ? ms(Date.parse(r.convergedAt) - Date.parse(r.createdAt)) : '—'}</td>
                    <td>{r.message ? `${r.message}${r.author ? ` (${r.author})` : ''}` : '—'}</td>
                    {pinnable(s) && (
                      <td>
                        {!(inForce && r.id.startsWith(inForce)) && (
                          <ConfirmButton
                            label="Roll back to this"
                            danger
                            question={`Pin ${s.name} to revision ${r.id.slice(0, 12)}? The desired state goes back to it; new commits are admitted but not applied until you unpin.`}
                            action={() =>
                              api.post(`/api/v1/sources/${encodeURIComponent(s.name)}/pin`, {
                                revision: r.id,
                              })
                            }
                            onDone={done}
                          />
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </section>
  );
}
