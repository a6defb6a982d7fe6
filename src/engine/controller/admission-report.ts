/**
 * What serve says about an admission (SourceSet records and audits it): an
 * event and a log line for the revision admitted or refused, an event per
 * policy verdict, the violation rows and counts.
 */
import { violationEvent, type Violation } from '../../policy/index.js';
import type { Admission } from '../../source/sources.js';
import type { Store } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { Metrics } from '../../telemetry/metrics.js';
import type { Recorder } from '../recorder.js';
import { recordViolations } from '../violations.js';

export interface ReportSinks {
  recorder: Recorder;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** A write failed (e.g. the state is full); the report goes on. */
  onWriteError?(err: unknown, what: string): void;
}

/** Events and metrics for an admission; nothing for a revision already known. */
export function reportAdmission(a: Admission, sinks: ReportSinks): void {
  if (a.known) return;
  const { recorder, logger, metrics } = sinks;
  metrics.revisions.inc({ result: a.revision.admitted ? 'admitted' : 'refused' });
  if (!a.revision.admitted) {
    const errors = a.diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const where = first?.file ? `${first.file}:${first.line ?? 0}: ` : '';
    recorder.event(
      'Warning',
      'RevisionRefused',
      `source ${a.source}: revision ${a.revision.id} refused (${errors.length} problems; the previous revision stays in force): ${where}${first?.summary ?? ''}`,
    );
    logger.warn(
      { source: a.source, revisionId: a.revision.id, diagnostics: a.diagnostics },
      'revision refused',
    );
  } else {
    recorder.event(
      'Normal',
      'RevisionAdmitted',
      `source ${a.source}: revision ${a.revision.id} admitted: ${a.revision.resourceCount} resources`,
    );
    logger.info(
      { source: a.source, revisionId: a.revision.id, resources: a.revision.resourceCount },
      'revision admitted',
    );
  }
  // Resources for nodes that no enrolled node selects (admission's warnings): an event each, with a log line.
  if (a.revision.admitted)
    for (const d of a.diagnostics)
      if (d.severity === 'warning' && d.code === 'SETPOINT_NO_NODE_SELECTED') {
        recorder.event('Warning', 'NoNodeSelected', d.summary, d.resourceId);
        logger.warn({ source: a.source, revisionId: a.revision.id, resourceId: d.resourceId }, d.summary);
      }
  // Every policy verdict on the revision: an event each (listing all a refusal's denials), a record, a count.
  const violations = a.violations ?? [];
  for (const v of violations) {
    const e = violationEvent(v);
    recorder.event(
      e.type,
      e.reason,
      a.revision.admitted || v.action !== 'deny'
        ? e.message
        : `${e.message}; revision ${a.revision.id} refused`,
      v.resourceId,
    );
  }
  if (violations.length > 0) void reportViolations(violations, a.revision.id, !a.revision.admitted, sinks);
}

/** Violation rows and metrics; an audit entry (policy.deny) for each deny that refused the revision. Never throws. */
export async function reportViolations(
  violations: readonly Violation[],
  revisionId: string,
  blocked: boolean,
  sinks: ReportSinks,
): Promise<void> {
  const { recorder } = sinks;
  try {
    await recordViolations(
      violations,
      { revisionId, blocked },
      { store: sinks.store, metrics: sinks.metrics, audit: (e) => recorder.audit(e) },
    );
  } catch (err) {
    sinks.onWriteError?.(err, 'policy violations');
    sinks.logger.warn({ revisionId, err: (err as Error).message }, 'cannot record policy violations');
  }
}
