/**
 * The programmatic API. The CLI and the HTTP server are thin shells over
 * this facade, so every feature exists once; each concern lives in its own
 * module of this folder (apply, sources, resources, approvals, tokens,
 * audit, alerts, figures, manifests, policies, serve) as functions of one
 * ApiContext.
 */
import type { ApplyReport, DriftReport, Planned } from '../engine/index.js';
import type { HeldLock } from '../store/lock.js';
import type { DesiredState } from '../desired/desired.js';
import type { ValidateResult } from '../engine/validate.js';
import type { PolicyTestReport } from '../policy/test-runner.js';
import type { WindowGate } from '../engine/controller/reconciler.js';
import type { Diagnostic, ResourceId } from '../manifest/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import type { Settings } from '../project/index.js';
import type { RenderedDocument, RenderInputs } from '../render/index.js';
import type { Role } from '../auth/index.js';
import type { Admission, SourceSet } from '../source/sources.js';
import type * as S from '../store/index.js';
import type { AlertRecord, SilenceRecord } from '../store/alerts.js';
import type { AlertSubject } from '../telemetry/alerts/index.js';
import type { SilenceInput, SilenceState } from '../telemetry/alerts/silences.js';
import type { SloStatus } from '../telemetry/slo/status.js';
import { flushLogger, type Logger } from '../telemetry/index.js';
import type { ApiContext } from './context.js';
import type { AgentOptions, RunningAgent } from './agent.js';
import { openContext } from './open.js';
import { schemaFiles } from './json-schemas.js';
import * as alerting from './alerts.js';
import * as applying from './apply.js';
import * as approving from './approvals.js';
import * as gates from './fleet-gates.js';
import * as auditing from './audit.js';
import * as stateOps from './state.js';
import * as figures from './figures.js';
import * as debugging from './debug.js';

import * as fleet from './fleet.js';
import * as hostFacts from './facts.js';
import type { Facts } from '../facts/index.js';
import * as manifests from './manifests.js';
import * as policy from './policies.js';
import * as resources from './resources.js';
import * as serving from './serve.js';
import * as sourcing from './sources.js';
import * as retention from './retention.js';
import * as rolling from './rollouts.js';
import type { RolloutVerb } from '../rollout/index.js';
import * as stateRecords from './state-records.js';
import * as tokens from './tokens.js';
import * as trends from './trends.js';
import * as goalFigures from './goals.js';
import { alertWindows, windowGate } from './windows.js';
import type * as T from './types.js';

export type * from './types.js';
export type { ApplyOptions, PlanOptions } from './apply.js';
export type { ServeOptions } from './serve.js';
export type { Planned } from '../engine/index.js';
export type { SourceStatus, SyncOptions } from './sources.js';
export type { AuditFields } from './context.js';
export type { CurrentDesired, NodeInfo, EnrollTokenInfo, Enrolment } from './fleet.js';
export type { NodeSet } from '../fleet/compile.js';
export type { ReportBatch } from '../fleet/report.js';
export type { NodeApprovalReport, NodeDecision } from '../fleet/approvals.js';
export type { NodeGates } from './fleet-gates.js';
export type { DriftTrend, DriftPoint, TrendOptions } from './trends.js';
export type { CriticalConvergence, ResourceFate, SpanView } from './debug.js';
export { SetpointError } from '../errors.js';
export { percentiles } from './figures.js';
export { verifyAuditFile } from './audit.js';
export type { AgentOptions, RunningAgent } from './agent.js';
export { defaultAgentState } from './agent-state.js';

/**
 * Starts `setpoint agent` (api/agent.ts). Its code (the fleet link, client and
 * report buffer, the YAML writer) loads on demand: no other command needs it.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  return (await import('./agent.js')).startAgent(options);
}
export { SCHEMA_FILES, schemaFiles, manifestSchema, settingsSchema } from './json-schemas.js';

export class Setpoint {
  readonly settings: Settings;
  readonly registry: ProviderRegistry;
  readonly logger: Logger;
  readonly actor: string;
  readonly stateLocation: string;

  private constructor(private readonly ctx: ApiContext) {
    ({ settings: this.settings, registry: this.registry, logger: this.logger } = ctx);
    ({ actor: this.actor, stateLocation: this.stateLocation } = ctx);
  }

  static async open(options: T.OpenOptions = {}): Promise<Setpoint> {
    return new Setpoint(await openContext(options));
  }

  get secrets(): ApiContext['secrets'] {
    return this.ctx.secrets;
  }

  // --- parts, made on first use ---

  /** The store (for the serve manager and tests; routes and commands use the methods below). */
  store(): Promise<S.Store> {
    return this.ctx.store();
  }
  /** The engine; one per API instance, so a plan's event sinks reach the run that applies it. */
  engine(): ReturnType<ApiContext['engine']> {
    return this.ctx.engine();
  }
  /** The project's sources (folders and Git repositories). */
  sources(): Promise<SourceSet> {
    return this.ctx.sources();
  }
  /** What a loader needs to render manifests: environment, variables, overlay paths. */
  renderOptions(): RenderInputs {
    return this.ctx.rendering;
  }
  /** `-f` paths, or the project's manifest folders. */
  manifestPaths(paths?: readonly string[]): string[] {
    return this.ctx.manifestPaths(paths);
  }
  normalizeId(id: string): ResourceId {
    return this.ctx.normalizeId(id);
  }
  /** The source name of resources declared with -f or the project's manifests. */
  get defaultSource(): string {
    return figures.DEFAULT_SOURCE;
  }
  /** Where providers keep working files (pid files, logs): beside the state. */
  get workRoot(): string {
    return this.ctx.workRoot;
  }
  windowGate(): WindowGate | undefined {
    return windowGate(this.settings);
  }
  alertWindows(): ((subject: AlertSubject | undefined, now: Date) => string | undefined) | undefined {
    return alertWindows(this.settings);
  }

  // --- manifests ---

  validate(paths?: readonly string[]): Promise<ValidateResult> {
    return manifests.validate(this.ctx, paths);
  }
  async render(options: { paths?: readonly string[] } = {}): Promise<{
    environment?: string;
    documents: RenderedDocument[];
    diagnostics: Diagnostic[];
  }> {
    return manifests.render(this.ctx, options);
  }
  kinds(): Array<{ kind: string; description: string }> {
    return manifests.kinds(this.registry);
  }
  /** Host facts, as `${facts.*}` in manifests and templates sees them. */
  facts(): Facts {
    return hostFacts.facts(this.ctx);
  }
  schema(kind?: string): Record<string, unknown> {
    return manifests.schema(this.registry, kind);
  }
  /** Every published JSON Schema by file name: any manifest document, setpoint.yaml, one per kind. */
  schemaFiles(): Record<string, Record<string, unknown>> {
    return schemaFiles(this.registry);
  }
  policies(
    options: { paths?: readonly string[]; limit?: number; policy?: string } = {},
  ): Promise<T.PolicyListing> {
    return policy.policies(this.ctx, options);
  }
  testPolicies(paths?: readonly string[]): PolicyTestReport {
    return policy.testPolicies(this.ctx, paths);
  }

  // --- one-shot runs ---

  plan(request: applying.PlanOptions): Promise<Planned> {
    return applying.plan(this.ctx, request);
  }
  admitPlan(planned: Planned): Promise<void> {
    return applying.admitPlan(this.ctx, planned);
  }
  apply(planned: Planned, options: applying.ApplyOptions = {}): Promise<ApplyReport> {
    return applying.apply(this.ctx, planned, options);
  }
  drift(request: applying.PlanOptions): Promise<DriftReport> {
    return applying.drift(this.ctx, request);
  }
  lock(timeoutMs = 0, what = 'apply'): Promise<HeldLock> {
    return applying.lock(this.ctx, timeoutMs, what);
  }
  serve(options: serving.ServeOptions = {}): ReturnType<typeof serving.serve> {
    return serving.serve(this.ctx, options);
  }

  // --- sources ---

  sync(source?: string, options: sourcing.SyncOptions = {}): Promise<Admission[]> {
    return sourcing.sync(this.ctx, source, options);
  }
  rollback(revision: string, source?: string, options: T.ActorOption = {}): Promise<S.RevisionRecord> {
    return sourcing.rollback(this.ctx, revision, source, options);
  }
  unpin(source?: string, options: T.ActorOption = {}): Promise<S.SourceState> {
    return sourcing.unpin(this.ctx, source, options);
  }
  sourcesStatus(): Promise<sourcing.SourceStatus[]> {
    return sourcing.sourcesStatus(this.ctx);
  }
  requestSync(options: sourcing.SyncOptions = {}): Promise<void> {
    return sourcing.requestSync(this.ctx, options);
  }

  // --- rollouts ---

  /** The latest rollout of each source with a strategy (or of one). */
  rollouts(source?: string): Promise<S.RolloutRecord[]> {
    return rolling.rollouts(this.ctx, source);
  }
  rolloutHistory(limit = 20): Promise<S.RolloutRecord[]> {
    return rolling.rolloutHistory(this.ctx, limit);
  }
  /** pause | resume | abort | promote, carried out by serve's leader. */
  rolloutCommand(
    verb: RolloutVerb,
    source?: string,
    options: Parameters<typeof rolling.rolloutCommand>[3] = {},
  ): Promise<S.RolloutRecord> {
    return rolling.rolloutCommand(this.ctx, verb, source, options);
  }

  // --- resources and history ---

  status(filter: S.ResourceFilter = {}): Promise<T.StatusSummary> {
    return resources.status(this.ctx, filter);
  }
  get(id: string): Promise<S.ResourceRecord | undefined> {
    return resources.get(this.ctx, id);
  }
  describe(
    id: string,
    paths?: readonly string[],
    options: { desired?: DesiredState } = {},
  ): Promise<T.Description> {
    return resources.describe(this.ctx, id, paths, options);
  }
  /** `state prune`: delete history older than the retention settings (the audit log is kept). */
  prune(options: T.ActorOption & { now?: number } = {}): Promise<retention.PruneResult> {
    return retention.prune(this.ctx, options);
  }
  /** `state rm`: forget a resource; the target stays as it is. */
  forget(id: string, options: T.ActorOption = {}): Promise<S.ResourceRecord> {
    return stateRecords.forget(this.ctx, id, options);
  }
  /** `state mv`: move a record to another id of its kind. */
  moveRecord(from: string, to: string, options: T.ActorOption = {}): Promise<S.ResourceRecord> {
    return stateRecords.moveRecord(this.ctx, from, to, options);
  }
  /** `state import`: adopt an existing target of a declared resource. */
  importResource(
    id: string,
    paths?: readonly string[],
    options: T.ActorOption = {},
  ): Promise<S.ResourceRecord> {
    return stateRecords.importResource(this.ctx, id, paths, options);
  }
  resume(id: string, options: T.ActorOption = {}): Promise<S.ResourceRecord> {
    return resources.resume(this.ctx, id, options);
  }
  history(limit = 20): Promise<{ runs: S.RunRecord[]; revisions: S.RevisionRecord[] }> {
    return resources.history(this.ctx, limit);
  }
  revision(idOrPrefix: string): Promise<S.RevisionRecord | undefined> {
    return resources.revision(this.ctx, idOrPrefix);
  }
  events(id?: string, limit = 50, afterSeq?: number): Promise<S.EventRecord[]> {
    return resources.events(this.ctx, id, limit, afterSeq);
  }
  convergence(options: { revisions?: number; since?: string } = {}): Promise<T.ConvergenceFigures> {
    return figures.convergence(this.ctx, options);
  }
  /** Prometheus rules from `slos:`: objectives, thresholds and burn rates as setpoint.yaml declares them. */
  async sloRules(): Promise<{ yaml: string; warnings: string[] }> {
    const { prometheusRules } = await import('../telemetry/slo/rules.js');
    const { yaml, warnings } = prometheusRules(this.ctx.settings.slos, this.ctx.settings.alerts.defaultOwner);
    return { yaml, warnings };
  }
  slos(): Promise<SloStatus[]> {
    return figures.slos(this.ctx);
  }
  /** A resource's reconcile spans (phases with durations, outcome, revision, trace), newest first. */
  spans(id: string, options: { limit?: number } = {}): Promise<debugging.SpanView[]> {
    return debugging.spans(this.ctx, id, options);
  }
  /** Whether a resource exists; if not, when, how and by which revision it went, and when it was last seen. */
  fate(id: string): Promise<debugging.ResourceFate> {
    return debugging.fate(this.ctx, id);
  }
  /** Convergence (drift detected -> in sync again) p95/p99 per critical resource over a window. */
  criticalConvergence(
    options: { windowMs?: number; namespaces?: readonly string[]; ids?: readonly ResourceId[] } = {},
  ): Promise<debugging.CriticalConvergence> {
    return debugging.criticalConvergence(this.ctx, options);
  }
  /** The drift ratio over a window, with the revisions admitted in it (the dashboard's chart). */
  driftTrend(options: trends.TrendOptions = {}): Promise<trends.DriftTrend> {
    return trends.driftTrend(this.ctx, options);
  }
  /** Targets and Objectives with their last value, gap, trend and time left (from the samples serve keeps). */
  goals(options: { namespaces?: readonly string[] } = {}): Promise<goalFigures.GoalStatus[]> {
    return goalFigures.goals(this.ctx, options);
  }

  // --- approvals ---

  approvals(state?: S.ApprovalState): Promise<S.ApprovalRecord[]> {
    return approving.approvals(this.ctx, state);
  }
  approval(idOrPrefix: string): Promise<S.ApprovalRecord | undefined> {
    return approving.approval(this.ctx, idOrPrefix);
  }
  approve(
    idOrPrefix: string,
    options: { paths?: readonly string[]; note?: string; nodes?: readonly string[] } & T.ActorOption = {},
  ): Promise<S.ApprovalRecord> {
    return approving.approve(this.ctx, idOrPrefix, options);
  }
  reject(
    idOrPrefix: string,
    note?: string,
    options: T.ActorOption & { nodes?: readonly string[] } = {},
  ): Promise<S.ApprovalRecord> {
    return approving.reject(this.ctx, idOrPrefix, note, options);
  }

  // --- tokens ---

  createToken(
    input: { name: string; role: Role; namespaces?: readonly string[] },
    options: T.ActorOption = {},
  ): Promise<{ token: string; info: T.TokenInfo }> {
    return tokens.createToken(this.ctx, input, options);
  }
  listTokens(): Promise<T.TokenInfo[]> {
    return tokens.listTokens(this.ctx);
  }
  activeTokens(): Promise<S.TokenRecord[]> {
    return tokens.activeTokens(this.ctx);
  }
  revokeToken(name: string, options: T.ActorOption = {}): Promise<void> {
    return tokens.revokeToken(this.ctx, name, options);
  }

  // --- the state itself: migrate, backup, restore ---

  migrateState(to: string): ReturnType<typeof stateOps.migrateState> {
    return stateOps.migrateState(this.ctx, to);
  }
  backupState(file: string): ReturnType<typeof stateOps.backupState> {
    return stateOps.backupState(this.ctx, file);
  }
  restoreState(file: string): ReturnType<typeof stateOps.restoreState> {
    return stateOps.restoreState(this.ctx, file);
  }

  // --- audit trail and store changes ---

  audit(query: S.AuditQuery = {}): Promise<S.AuditEntry[]> {
    return auditing.listAudit(this.ctx, query);
  }
  verifyAudit(): Promise<S.AuditVerification & { entry?: S.AuditEntry }> {
    return auditing.verifyAudit(this.ctx);
  }
  exportAudit(): AsyncGenerator<string> {
    return auditing.exportAudit(this.ctx);
  }
  changeCounter(): Promise<number> {
    return auditing.changeCounter(this.ctx);
  }
  changes(signal: AbortSignal, intervalMs = 250): AsyncGenerator<void> {
    return auditing.changes(this.ctx, signal, intervalMs);
  }

  // --- alerts and silences ---

  alerts(options: T.AlertListOptions = {}): Promise<AlertRecord[]> {
    return alerting.alerts(this.ctx, options);
  }
  alert(idOrPrefix: string): Promise<AlertRecord | undefined> {
    return alerting.alert(this.ctx, idOrPrefix);
  }
  ackAlert(
    idOrPrefix: string,
    input: { actionable: boolean; comment?: string } & T.ActorOption,
  ): Promise<AlertRecord> {
    return alerting.ackAlert(this.ctx, idOrPrefix, input);
  }
  silences(options: { all?: boolean } = {}): Promise<Array<SilenceRecord & { state: SilenceState }>> {
    return alerting.silences(this.ctx, options);
  }
  createSilence(input: SilenceInput & T.ActorOption): Promise<SilenceRecord> {
    return alerting.createSilence(this.ctx, input);
  }
  expireSilence(idOrPrefix: string, options: T.ActorOption = {}): Promise<SilenceRecord> {
    return alerting.expireSilence(this.ctx, idOrPrefix, options);
  }

  // --- the fleet: enrolled nodes running `setpoint agent` ---

  createEnrollToken(
    input: { ttlMs: number; labels?: Record<string, string>; uses?: number },
    options: T.ActorOption = {},
  ): Promise<{ token: string; info: fleet.EnrollTokenInfo }> {
    return fleet.createEnrollToken(this.ctx, input, options);
  }
  listEnrollTokens(): Promise<fleet.EnrollTokenInfo[]> {
    return fleet.listEnrollTokens(this.ctx);
  }
  enroll(input: Parameters<typeof fleet.enroll>[1]): Promise<fleet.Enrolment> {
    return fleet.enroll(this.ctx, input);
  }
  nodes(current?: fleet.CurrentDesired): Promise<fleet.NodeInfo[]> {
    return fleet.listNodes(this.ctx, current);
  }
  node(name: string, current?: fleet.CurrentDesired): ReturnType<typeof fleet.getNode> {
    return fleet.getNode(this.ctx, name, current);
  }
  nodeSet(name: string, current?: fleet.CurrentDesired): ReturnType<typeof fleet.nodeSet> {
    return fleet.nodeSet(this.ctx, name, current);
  }
  /** The set of a node record in hand (the long poll's, after touchNode). */
  setOfNode(
    node: Parameters<typeof fleet.setFor>[1],
    current: fleet.CurrentDesired,
  ): ReturnType<typeof fleet.setFor> {
    return fleet.setFor(this.ctx, node, current);
  }
  nodeEvents(name: string, id?: string, limit = 50): Promise<S.EventRecord[]> {
    return fleet.nodeEvents(this.ctx, name, {
      resourceId: id ? this.normalizeId(id) : undefined,
      limit,
    });
  }
  compiledNodeSets(): number {
    return fleet.compiledSets(this.ctx);
  }
  unplacedResources(desired: DesiredState): ReturnType<typeof fleet.unplaced> {
    return fleet.unplaced(this.ctx, desired);
  }
  revokeNode(name: string, options: T.ActorOption = {}): Promise<fleet.NodeInfo> {
    return fleet.revokeNode(this.ctx, name, options);
  }
  requestNodeRotation(name: string, options: T.ActorOption = {}): Promise<void> {
    return fleet.requestRotation(this.ctx, name, options);
  }
  rotateNodeToken(name: string): Promise<{ token: string }> {
    return fleet.rotateNodeToken(this.ctx, name);
  }
  touchNode(name: string): ReturnType<typeof fleet.touchNode> {
    return fleet.touchNode(this.ctx, name);
  }
  nodeByTokenHash(hash: string): Promise<{ name: string } | undefined> {
    return this.ctx.store().then(async (s) => {
      const n = await s.nodeByTokenHash(hash);
      return n && !n.revokedAt ? { name: n.name } : undefined;
    });
  }
  /** An agent's approvals in, the windows that select its node and the decisions it waits for out. */
  exchangeNodeGates(
    name: string,
    input: Parameters<typeof gates.exchangeNodeGates>[2],
    signal?: AbortSignal,
  ): Promise<gates.NodeGates> {
    return gates.exchangeNodeGates(this.ctx, name, input, signal);
  }
  nodeWindows(name: string): ReturnType<typeof gates.nodeWindows> {
    return gates.nodeWindows(this.ctx, name);
  }
  acceptNodeReport(
    name: string,
    batch: Parameters<typeof fleet.acceptReport>[2],
  ): ReturnType<typeof fleet.acceptReport> {
    return fleet.acceptReport(this.ctx, name, batch);
  }

  async close(): Promise<void> {
    await flushLogger(this.logger);
    const opened = this.ctx.storeOpened;
    if (opened) await (await opened).close();
  }
}
