/**
 * The Store methods that both stores pass on unchanged to their alerting and
 * policy-violation parts (./sqlite/alerts.ts, ./postgres/alerts.ts, and the
 * violations beside them): written once here, inherited by both stores.
 */
import type { AlertAck, AlertFilter, AlertRecord, AlertStore, SilenceRecord, SliSample } from './alerts.js';
import type { ViolationQuery, ViolationRecord, ViolationStore, ViolationTotal } from './violations.js';

export abstract class DelegatingStore implements AlertStore, ViolationStore {
  /** Alerting state (migration 5). */
  protected abstract readonly alerting: AlertStore;
  /** Policy violations (migration 3). */
  protected abstract readonly violations: ViolationStore;

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
}
