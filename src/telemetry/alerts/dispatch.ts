/**
 * Routing and grouping, pure (Alertmanager's semantics, simplified):
 *
 * - route: the first route whose labels all match picks the receiver, else
 *   the default receiver, else none (the alert is recorded, not sent).
 * - group: alerts with the same receiver, `owner` and rule (`alertname`)
 *   are notified together, in one message.
 * - timing: a new group waits `groupWait` after its first alert fired (to
 *   collect the rest of the incident); after a notification, news (alerts
 *   firing or resolved since) wait `groupInterval`; alerts still firing are
 *   sent again after the receiver's `repeatInterval`.
 * - suppressed alerts (silence, change window) are left out; an alert never
 *   notified as firing gets no resolved notification.
 */
import type { AlertRecord } from '../../store/alerts.js';
import { matchesAll } from './labels.js';
import type { Notification } from './receivers.js';
import type { AlertSettings, ReceiverConfig } from './schema.js';

/** The receiver an alert with these labels goes to; undefined when none. */
export function route(settings: AlertSettings, labels: Record<string, string>): string | undefined {
  for (const r of settings.routes)
    if (
      matchesAll(
        Object.entries(r.match).map(([name, value]) => ({ name, op: '=' as const, value })),
        labels,
      )
    )
      return r.receiver;
  return settings.defaultReceiver;
}

export interface PlannedNotification {
  receiver: ReceiverConfig;
  notification: Notification;
}

/**
 * The notifications due at `now`. `alerts`: every firing incident, and
 * resolved ones whose resolution is not notified yet; each with its
 * `receiver` and `suppressedBy` set.
 */
export function dueNotifications(
  alerts: readonly AlertRecord[],
  settings: AlertSettings,
  now: number,
): PlannedNotification[] {
  const receivers = new Map(settings.receivers.map((r) => [r.name, r]));
  const groups = new Map<
    string,
    { receiver: ReceiverConfig; labels: Record<string, string>; alerts: AlertRecord[] }
  >();
  for (const a of alerts) {
    const receiver = a.receiver ? receivers.get(a.receiver) : undefined;
    if (!receiver) continue;
    const labels = { owner: a.labels.owner ?? '', alertname: a.labels.alertname ?? a.rule };
    const key = `${receiver.name}\u0000${labels.owner}\u0000${labels.alertname}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { receiver, labels, alerts: [] }));
    g.alerts.push(a);
  }
  const out: PlannedNotification[] = [];
  for (const g of groups.values()) {
    const firing = g.alerts.filter((a) => a.state === 'firing' && !a.suppressedBy);
    const resolved = g.alerts.filter((a) => a.state === 'resolved' && a.notifiedAt && !a.resolvedNotifiedAt);
    const fresh = firing.filter((a) => !a.notifiedAt);
    const stale = firing.filter(
      (a) => a.notifiedAt && now - Date.parse(a.notifiedAt) >= g.receiver.repeatIntervalMs,
    );
    const times = g.alerts
      .flatMap((a) => [a.notifiedAt, a.resolvedNotifiedAt])
      .filter((t): t is string => t !== undefined);
    const last = times.length ? Math.max(...times.map((t) => Date.parse(t))) : undefined;
    let due: boolean;
    if (last === undefined)
      due =
        fresh.length > 0 &&
        now - Math.min(...fresh.map((a) => Date.parse(a.startsAt))) >= settings.groupWaitMs;
    else
      due =
        ((fresh.length > 0 || resolved.length > 0) && now - last >= settings.groupIntervalMs) ||
        stale.length > 0;
    if (!due) continue;
    const included = [...firing, ...resolved];
    out.push({
      receiver: g.receiver,
      notification: {
        groupKey: `{owner=${JSON.stringify(g.labels.owner)},alertname=${JSON.stringify(g.labels.alertname)}}`,
        groupLabels: g.labels,
        status: firing.length > 0 ? 'firing' : 'resolved',
        alerts: included,
      },
    });
  }
  return out;
}
