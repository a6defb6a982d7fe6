/**
 * Receivers: where grouped notifications go, and in which format.
 *
 * - webhook: the Alertmanager webhook JSON (version 4: status, groupLabels,
 *   commonLabels, alerts[] with labels, annotations, startsAt, endsAt,
 *   fingerprint), plus each alert's setpoint incident `id` (for `alerts ack`).
 * - slack: a Slack-compatible incoming webhook body (`text` + one attachment).
 * - alertmanager: Alertmanager API v2, `POST {url}/api/v2/alerts` with the
 *   alerts of the group (firing ones without endsAt, resolved ones with it);
 *   Alertmanager then groups, deduplicates and routes on its own side.
 *
 * Delivery is one POST with a timeout; a non-2xx answer is a failure, and
 * the evaluator tries again at its next evaluation.
 */
import type { AlertRecord } from '../../store/alerts.js';
import type { ReceiverConfig } from './schema.js';

/** One notification: the alerts of a group (same receiver, owner and rule) at one moment. */
export interface Notification {
  /** `{owner="team-web",alertname="DriftDetected"}`. */
  groupKey: string;
  groupLabels: Record<string, string>;
  /** firing when any alert in it fires. */
  status: 'firing' | 'resolved';
  alerts: AlertRecord[];
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function common(records: ReadonlyArray<Record<string, string>>): Record<string, string> {
  if (records.length === 0) return {};
  const out: Record<string, string> = { ...records[0] };
  for (const r of records.slice(1)) for (const k of Object.keys(out)) if (r[k] !== out[k]) delete out[k];
  return out;
}

export function webhookBody(receiver: ReceiverConfig, n: Notification): unknown {
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: 0,
    status: n.status,
    receiver: receiver.name,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL: '',
    alerts: n.alerts.map((a) => ({
      status: a.state,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.resolvedAt ?? ZERO_TIME,
      generatorURL: '',
      fingerprint: a.fingerprint,
      id: a.id,
    })),
  };
}

export function slackBody(n: Notification): unknown {
  const firing = n.alerts.filter((a) => a.state === 'firing');
  const title = `[${n.status === 'firing' ? `FIRING:${firing.length}` : 'RESOLVED'}] ${n.groupLabels.alertname} (${n.groupLabels.owner})`;
  const lines = n.alerts.map(
    (a) => `${a.state === 'firing' ? '•' : '✓'} [${a.severity}] ${a.annotations.summary} (${a.id})`,
  );
  return {
    text: title,
    attachments: [
      {
        color:
          n.status === 'firing' ? (firing.some((a) => a.severity === 'page') ? 'danger' : 'warning') : 'good',
        title,
        text: lines.join('\n'),
        footer: 'setpoint',
      },
    ],
  };
}

export function alertmanagerBody(n: Notification): unknown {
  return n.alerts.map((a) => ({
    labels: a.labels,
    annotations: { ...a.annotations, setpoint_incident: a.id },
    startsAt: a.startsAt,
    ...(a.resolvedAt ? { endsAt: a.resolvedAt } : {}),
    generatorURL: '',
  }));
}

/** The URL and body of a notification for a receiver. */
export function request(receiver: ReceiverConfig, n: Notification): { url: string; body: unknown } {
  switch (receiver.type) {
    case 'webhook':
      return { url: receiver.url, body: webhookBody(receiver, n) };
    case 'slack':
      return { url: receiver.url, body: slackBody(n) };
    case 'alertmanager':
      return {
        url: /\/api\/v2\/alerts\/?$/.test(receiver.url)
          ? receiver.url
          : `${receiver.url.replace(/\/+$/, '')}/api/v2/alerts`,
        body: alertmanagerBody(n),
      };
  }
}

/** POSTs a notification; throws with the status and the start of the answer on failure. */
export async function deliver(receiver: ReceiverConfig, n: Notification): Promise<void> {
  const { url, body } = request(receiver, n);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'setpoint', ...receiver.headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(receiver.timeoutMs),
  });
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 200);
    throw new Error(
      `receiver ${receiver.name} answered ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`,
    );
  }
  await res.body?.cancel().catch(() => undefined);
}
