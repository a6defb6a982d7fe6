/** Active alerts with Acknowledge (operator) and Silence (operator, unscoped token) buttons. */
import { allows, resourcePath } from '../api';
import { useSession } from '../hooks';
import type { Alert } from '../types';
import { ConfirmButton } from './confirm';
import { ago } from './format';

export function AlertList({ items, onDone }: { items: Alert[]; onDone: () => void }) {
  const { api, who } = useSession();
  const mayAck = allows(who.token.role, 'operator');
  const maySilence = mayAck && who.token.namespaces.length === 0;
  if (items.length === 0) return <p class="muted">No active alerts.</p>;
  return (
    <ul class="cards" aria-label="Active alerts">
      {items.map((a) => (
        <li key={a.id} class={`card alert sev-${a.severity}`}>
          <div>
            <span class={`badge badge-${a.severity === 'critical' ? 'failed' : 'drifted'}`}>
              {a.severity}
            </span>{' '}
            <strong>{a.rule}</strong>
            {a.labels.resource && (
              <>
                {' '}
                on <a href={`/r/${resourcePath(a.labels.resource)}`}>{a.labels.resource}</a>
              </>
            )}
          </div>
          <div class="muted">
            {a.annotations.summary ?? ''} · firing since {ago(a.startsAt)}
            {a.suppressedBy && ` · suppressed by ${a.suppressedBy}`}
            {a.ack && ` · acknowledged by ${a.ack.by}`}
          </div>
          {mayAck && (
            <div class="actions">
              {!a.ack && (
                <ConfirmButton
                  label="Acknowledge"
                  withNote
                  question={`Acknowledge alert ${a.rule} as actionable?`}
                  action={(comment) =>
                    api.post(`/api/v1/alerts/${a.id}/ack`, {
                      actionable: true,
                      ...(comment ? { comment } : {}),
                    })
                  }
                  onDone={onDone}
                />
              )}
              {maySilence && (
                <ConfirmButton
                  label="Silence 2h"
                  withNote
                  question={`Silence notifications of ${a.rule}${a.labels.resource ? ` on ${a.labels.resource}` : ''} for 2 hours?`}
                  action={(comment) =>
                    api.post('/api/v1/silences', {
                      matchers: [
                        `alertname=${a.labels.alertname ?? a.rule}`,
                        ...(a.labels.resource ? [`resource=${a.labels.resource}`] : []),
                      ],
                      duration: '2h',
                      comment: comment || 'silenced from the dashboard',
                    })
                  }
                  onDone={onDone}
                />
              )}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
