/**
 * The Store methods that both stores pass on unchanged to their parts
 * (alerting, policy violations, reconcile spans, the fleet, rollouts: ./sqlite/*.ts and
 * ./postgres/*.ts): written once here, inherited by both stores.
 */
import type { AlertAck, AlertFilter, AlertRecord, AlertStore, SilenceRecord, SliSample } from './alerts.js';
import type { ViolationQuery, ViolationRecord, ViolationStore, ViolationTotal } from './violations.js';
import type { ReconcileSpan, SpanStore } from './spans.js';
import type { EnrollRefusal, EnrollTokenRecord, FleetStore, NodeBatchResult, NodeRecord } from './nodes.js';
import type { NodeBatchStore, NodeBatchWrites } from './types.js';
import type { RolloutRecord, RolloutStore } from './rollouts.js';

export abstract class DelegatingStore
  implements AlertStore, ViolationStore, SpanStore, FleetStore, NodeBatchStore, RolloutStore
{
  /** Alerting state (migration 5). */
  protected abstract readonly alerting: AlertStore;
  /** Policy violations (migration 3). */
  protected abstract readonly violations: ViolationStore;
  /** Reconcile spans (migration 11). */
  protected abstract readonly spans: SpanStore;
  /** Nodes, enrolment tokens and report batches (migration 10). */
  protected abstract readonly fleet: FleetStore & NodeBatchStore;
  /** Progressive rollouts (migration 12). */
  protected abstract readonly rollouts: RolloutStore;

  putRollout(rollout: RolloutRecord): Promise<void> {
    return this.rollouts.putRollout(rollout);
  }
  getRollout(id: string): Promise<RolloutRecord | undefined> {
    return this.rollouts.getRollout(id);
  }
  listRollouts(filter?: { source?: string; active?: boolean; limit?: number }): Promise<RolloutRecord[]> {
    return this.rollouts.listRollouts(filter);
  }

  putAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    return this.alerting.putAlerts(alerts);
  }
  listAlerts(filter?: AlertFilter): Promise<AlertRecord[]> {
    return this.alerting.listAlerts(filter);
  }
  getAlert(id: string): Promise<AlertRecord | undefined> {
    return this.alerting.getAlert(id);
  }
  ackAlert(id: string, ack: AlertAck): Promise<void> {
    return this.alerting.ackAlert(id, ack);
  }
  putSilence(silence: SilenceRecord): Promise<void> {
    return this.alerting.putSilence(silence);
  }
  getSilence(id: string): Promise<SilenceRecord | undefined> {
    return this.alerting.getSilence(id);
  }
  listSilences(options?: { activeAt?: string }): Promise<SilenceRecord[]> {
    return this.alerting.listSilences(options);
  }
  addSliSamples(samples: readonly SliSample[]): Promise<void> {
    return this.alerting.addSliSamples(samples);
  }
  listSliSamples(sli: string, fromMinute: number): Promise<SliSample[]> {
    return this.alerting.listSliSamples(sli, fromMinute);
  }
  deleteSliSamples(beforeMinute: number): Promise<void> {
    return this.alerting.deleteSliSamples(beforeMinute);
  }

  appendViolations(violations: readonly ViolationRecord[]): Promise<void> {
    return this.violations.appendViolations(violations);
  }
  listViolations(query?: ViolationQuery): Promise<ViolationRecord[]> {
    return this.violations.listViolations(query);
  }
  violationTotals(options?: { since?: string }): Promise<ViolationTotal[]> {
    return this.violations.violationTotals(options);
  }

  appendSpans(spans: readonly ReconcileSpan[]): Promise<void> {
    return this.spans.appendSpans(spans);
  }
  listSpans(resourceId: string, options?: { limit?: number }): Promise<ReconcileSpan[]> {
    return this.spans.listSpans(resourceId, options);
  }

  putNode(node: NodeRecord): Promise<void> {
    return this.fleet.putNode(node);
  }
  getNode(name: string): Promise<NodeRecord | undefined> {
    return this.fleet.getNode(name);
  }
  listNodes(): Promise<NodeRecord[]> {
    return this.fleet.listNodes();
  }
  nodeByTokenHash(hash: string): Promise<NodeRecord | undefined> {
    return this.fleet.nodeByTokenHash(hash);
  }
  createEnrollToken(token: EnrollTokenRecord): Promise<void> {
    return this.fleet.createEnrollToken(token);
  }
  useEnrollToken(hash: string, at: string): Promise<EnrollTokenRecord | EnrollRefusal> {
    return this.fleet.useEnrollToken(hash, at);
  }
  listEnrollTokens(): Promise<EnrollTokenRecord[]> {
    return this.fleet.listEnrollTokens();
  }
  applyNodeBatch(
    node: string,
    batchId: string,
    at: string,
    batch: NodeBatchWrites,
  ): Promise<NodeBatchResult> {
    return this.fleet.applyNodeBatch(node, batchId, at, batch);
  }
}
