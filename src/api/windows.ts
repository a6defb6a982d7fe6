/** Change windows from setpoint.yaml: the gate the reconciler asks, and what holds back alert notifications. */
import type { WindowGate } from '../engine/controller/reconciler.js';
import { activeWindows, evaluateWindows, hostWindows, windowSubject } from '../windows/index.js';
import type { Settings } from '../project/index.js';
import type { AlertSubject } from '../telemetry/alerts/index.js';

/** Change windows from setpoint.yaml, as the gate the reconciler asks. */
export function windowGate(settings: Settings): WindowGate | undefined {
  // Windows with a nodeSelector are the agents' to enforce (fleet/node-gates.ts), not the server host's.
  const windows = hostWindows(settings.windows);
  if (windows.length === 0) return undefined;
  return { check: (resource, now) => evaluateWindows(windows, windowSubject(resource), now) };
}

/**
 * Why change windows hold back an alert's notifications now: a window that
 * blocks the alert's resource, or, for a project-wide alert, an open deny
 * window that matches everything.
 */
export function alertWindows(
  settings: Settings,
): ((subject: AlertSubject | undefined, now: Date) => string | undefined) | undefined {
  const windows = hostWindows(settings.windows);
  if (windows.length === 0) return undefined;
  const global = windows.filter((w) => w.type === 'deny' && !w.match);
  return (subject, now) => {
    if (subject) {
      const v = evaluateWindows(windows, subject, now);
      return v.blocked ? `window ${v.window}` : undefined;
    }
    const open = activeWindows(global, now)[0];
    return open ? `window ${open.name}` : undefined;
  };
}
