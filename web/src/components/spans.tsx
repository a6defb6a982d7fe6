/**
 * A resource's reconcile spans as a waterfall: one row per reconcile
 * (newest first) with its outcome, total duration and trace, and a bar
 * whose segments are its phases (observe, diff, plan, act, verify) placed
 * at their start and sized by their duration within the reconcile. The
 * durations are written out too (a bar is never the only signal).
 */
import { ago, ms } from './format';
import { Badge } from './badge';
import type { ReconcileSpan } from '../types';

const OUTCOME_STATE: Record<string, string> = {
  noop: 'InSync',
  applied: 'InSync',
  error: 'Failed',
  terminal: 'Failed',
  conflict: 'Conflict',
  held: 'Held',
  reported: 'Drifted',
  'awaiting-approval': 'Pending',
  waiting: 'Pending',
  'failed-retry': 'Failed',
};

/** Below a millisecond, in microseconds: most phases of a file are that fast. */
function dur(value: number): string {
  return value < 1 ? `${Math.round(value * 1000)} µs` : ms(value);
}

export function SpanWaterfall({ spans }: { spans: ReconcileSpan[] }) {
  if (spans.length === 0)
    return <p class="muted">No reconcile recorded yet (serve records each reconcile of a resource).</p>;
  return (
    <>
      <p class="legend small" aria-hidden="true">
        {(['observe', 'diff', 'plan', 'act', 'verify'] as const).map((p) => (
          <span key={p}>
            <i class={`ph ph-${p}`} /> {p}
          </span>
        ))}
      </p>
      <table class="spans" aria-label="Reconcile spans" data-testid="spans">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Outcome</th>
            <th scope="col">Duration</th>
            <th scope="col">Phases</th>
            <th scope="col">Revision</th>
            <th scope="col">Trace</th>
          </tr>
        </thead>
        <tbody>
          {spans.map((s) => (
            <tr key={s.id ?? s.reconcileId}>
              <td>
                <time dateTime={s.startedAt} title={s.startedAt}>
                  {ago(s.startedAt)}
                </time>
              </td>
              <td>
                <Badge state={OUTCOME_STATE[s.outcome] ?? 'Unknown'} /> {s.outcome}
                {s.action && s.action !== 'noop' && <span class="muted small"> ({s.action})</span>}
                {s.error && <div class="danger-text small">{s.error}</div>}
              </td>
              <td class="num">{dur(s.durationMs)}</td>
              <td class="waterfall-cell">
                <div class="waterfall" aria-hidden="true">
                  {s.phases.map((p, i) => (
                    <span
                      key={i}
                      class={`ph ph-${p.name}${p.error ? ' ph-error' : ''}`}
                      title={`${p.name}: ${dur(p.durationMs)} at +${dur(p.startMs)}`}
                      style={{
                        left: `${(100 * p.startMs) / Math.max(s.durationMs, 0.001)}%`,
                        width: `max(2px, ${(100 * p.durationMs) / Math.max(s.durationMs, 0.001)}%)`,
                      }}
                    />
                  ))}
                </div>
                <span class="phase-text small">
                  {s.phases
                    .map((p) => `${p.name} ${dur(p.durationMs)}${p.error ? ' (failed)' : ''}`)
                    .join(' · ') || 'no phase reached'}
                </span>
              </td>
              <td>{s.revisionId ? <code>{s.revisionId.slice(0, 12)}</code> : '—'}</td>
              <td>
                {s.traceUrl ? (
                  <a href={s.traceUrl} rel="noreferrer" target="_blank">
                    <code>{s.traceId!.slice(0, 16)}</code>
                  </a>
                ) : s.traceId ? (
                  <code title={s.traceId}>{s.traceId.slice(0, 16)}</code>
                ) : (
                  <span class="muted small" title="tracing does not export spans: the id of its log lines">
                    log <code>{s.reconcileId}</code>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
