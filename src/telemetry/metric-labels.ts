/**
 * The label values setpoint's metrics can take that are known before
 * anything happens. Metrics starts each of these series at 0, so `rate()`,
 * `increase()` and absence alerts work from the first scrape instead of
 * from the first occurrence (a counter that appears at 1 hides its first
 * increase). Values that depend on the project (kinds, policies, sources,
 * receivers) are started when they become known (Metrics.known*).
 */

/** Reconcile outcomes (`setpoint_reconciles_total{result}`): the reconciler's, plus the controller's error and terminal. */
export const RECONCILE_RESULTS = [
  'noop',
  'applied',
  'reported',
  'waiting',
  'awaiting-approval',
  'blocked',
  'held',
  'conflict',
  'failed-retry',
  'forgotten',
  'error',
  'terminal',
] as const;
export type ReconcileResultLabel = (typeof RECONCILE_RESULTS)[number];

/**
 * Error codes a reconcile fails with (`setpoint_reconcile_errors_total{reason}`).
 * Others (a Node errno code from a provider) still count, from their first occurrence.
 */
export const RECONCILE_ERROR_REASONS = [
  'SETPOINT_PROVIDER_FAILED',
  'SETPOINT_APPLY_FAILED',
  'SETPOINT_APPLY_REFUSED',
  'SETPOINT_APPLY_UNCONVERGED',
  'SETPOINT_CRASH_LOOP',
  'SETPOINT_TARGET_UNWRITABLE',
  'SETPOINT_SOURCE_UNREADABLE',
  'SETPOINT_SECRET_UNRESOLVED',
  'SETPOINT_VARIABLE_UNDEFINED',
  'SETPOINT_RECONCILE_FAILED',
  'SETPOINT_INTERNAL',
] as const;

/** Operations an action performs (`setpoint_actions_total{op}`); a noop performs nothing. */
export const ACTION_OPS = ['create', 'update', 'replace', 'delete'] as const;
export const ACTION_RESULTS = ['succeeded', 'failed'] as const;
/** How drift was fixed (`setpoint_remediations_total{mode}`). */
export const REMEDIATION_MODES = ['auto', 'approved'] as const;
/** `setpoint_policy_violations_total{action}`. */
export const POLICY_ACTIONS = ['deny', 'warn', 'audit'] as const;
export type PolicyActionLabel = (typeof POLICY_ACTIONS)[number];
/** Why a key was queued (`setpoint_workqueue_adds_total{trigger}`). */
export const QUEUE_TRIGGERS = ['user', 'event', 'resync'] as const;
/** `setpoint_revisions_total{result}`. */
export const REVISION_RESULTS = ['admitted', 'refused'] as const;
/** Alert severities (`setpoint_alerts_*{severity}`). */
export const ALERT_SEVERITIES = ['page', 'ticket'] as const;
/** `setpoint_alert_notifications_total{result}`. */
export const NOTIFICATION_RESULTS = ['sent', 'failed'] as const;
