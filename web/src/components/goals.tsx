/**
 * Goals (Targets and Objectives): each measure's value against its
 * threshold, the gap still to close, the trend over the review period and
 * the time left to the deadline. Refreshed as live events arrive.
 */
import { useApi, useLive, useSession } from '../hooks';
import type { GoalResult, GoalStatus } from '../types';
import { ago } from './format';

const ARROW = { improving: '↗', worsening: '↘', flat: '→' } as const;

function num(v: number, unit?: string): string {
  const s =
    Math.abs(v) >= 100
      ? String(Math.round(v))
      : Number.isInteger(v)
        ? String(v)
        : String(Number(v.toPrecision(3)));
  return unit ? `${s} ${unit}` : s;
}

/** "12d left", "3h left", "passed 2d ago". */
export function timeLeft(msLeft: number | undefined): string {
  if (msLeft === undefined) return 'no deadline';
  const a = Math.abs(msLeft);
  const d = Math.floor(a / 86_400_000);
  const h = Math.floor(a / 3_600_000);
  const span = d >= 1 ? `${d}d` : h >= 1 ? `${h}h` : `${Math.max(1, Math.floor(a / 60_000))}m`;
  return msLeft >= 0 ? `${span} left` : `passed ${span} ago`;
}

const OP: Record<string, string> = { above: '≥', below: '≤', '>=': '≥', '<=': '≤', '>': '>', '<': '<' };

function Result({ r, label }: { r: GoalResult; label: string }) {
  const unitDay = r.unit ? `${r.unit} per day` : 'per day';
  return (
    <>
      <td data-testid="goal-value">{num(r.value, r.unit)}</td>
      <td>
        {OP[r.direction] ?? r.direction} {num(r.threshold, r.unit)}
      </td>
      <td data-testid="goal-gap">{r.gap === 0 ? 'met' : num(r.gap, r.unit)}</td>
      <td data-testid="goal-trend">
        <span aria-hidden="true">{ARROW[r.trend.direction]} </span>
        {r.trend.direction}
        {r.trend.samples >= 2 && (
          <span class="muted">
            {' '}
            ({r.trend.perDay >= 0 ? '+' : ''}
            {num(r.trend.perDay)} {unitDay}, {r.trend.samples} samples)
          </span>
        )}
        {r.etaMs !== undefined && (
          <span class="muted"> · meets it in ~{timeLeft(r.etaMs).replace(' left', '')}</span>
        )}
        <span class="sr-only"> for {label}</span>
      </td>
    </>
  );
}

export function Goals() {
  const { live } = useSession();
  useLive();
  // A new reading changes the goal's status message: read the figures again then.
  const key = `${live.kindVersions.get('Target') ?? 0}/${live.kindVersions.get('Objective') ?? 0}`;
  const goals = useApi<{ items: GoalStatus[] }>('/api/v1/goals', { key });
  const items = goals.data?.items ?? [];
  if (goals.data && items.length === 0) return null;
  return (
    <section aria-labelledby="goals-h">
      <h2 id="goals-h">Goals</h2>
      {goals.error && (
        <p role="alert" class="error">
          {goals.error}
        </p>
      )}
      {items.length > 0 && (
        <table aria-labelledby="goals-h" data-testid="goals">
          <thead>
            <tr>
              <th scope="col">Goal</th>
              <th scope="col">State</th>
              <th scope="col">Value</th>
              <th scope="col">Needs</th>
              <th scope="col">Gap</th>
              <th scope="col">Trend</th>
              <th scope="col">Time left</th>
            </tr>
          </thead>
          <tbody>
            {items.flatMap((g) => {
              const rows = g.results.length > 0 ? g.results : [undefined];
              return rows.map((r, i) => {
                const label = r?.key ? `${g.name} / ${r.key}` : g.name;
                return (
                  <tr key={`${g.id}/${r?.key ?? ''}`} data-goal={g.id}>
                    <th scope="row">
                      {i === 0 ? (
                        <a
                          href={`/r/${g.id.split('/').map(encodeURIComponent).join('/')}`}
                          title={g.description}
                        >
                          {g.kind === 'Objective' ? `${g.name} (${g.met} of ${g.total})` : g.name}
                        </a>
                      ) : null}
                      {r?.key ? <span class="muted"> {r.key}</span> : null}
                    </th>
                    <td>
                      {r ? (
                        <span class={`badge badge-${r.state === 'MeetsTarget' ? 'healthy' : 'degraded'}`}>
                          {r.state === 'MeetsTarget' ? 'meets' : 'behind'}
                        </span>
                      ) : (
                        <span class="badge badge-unknown">not read yet</span>
                      )}
                    </td>
                    {r ? (
                      <Result r={r} label={label} />
                    ) : (
                      <td colSpan={4} class="muted">
                        {g.message ?? '—'}
                      </td>
                    )}
                    <td data-testid="goal-left" title={g.deadline}>
                      {i === 0 ? timeLeft(g.timeLeftMs) : ''}
                      {r && i === 0 && <div class="muted">read {ago(r.readAt)}</div>}
                    </td>
                  </tr>
                );
              });
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
