/**
 * The agent's gates link, beside the set link (agent.ts): it tells the server
 * which approvals the node's local serve proposed and gets back the change
 * windows that select the node and the decisions on those approvals. A
 * decision is written into the local state as if approved there, and serve
 * acts on it (audited with the approver as actor). While an approval is
 * pending the link holds a long poll, so a decision arrives within a second;
 * otherwise it calls when the local approvals change and at every check.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Store, ApprovalRecord } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import type { WindowSpec } from '../windows/index.js';
import type { NodeApprovalReport, NodeDecision } from './approvals.js';
import type { FleetClient } from './client.js';
import type { NodeWindowGate } from './node-windows.js';

export interface NodeGatesOptions {
  client: Pick<FleetClient, 'call'>;
  node: string;
  /** The node's local store (serve's). */
  store: Store;
  gate: NodeWindowGate;
  /** The server revision of the set in force: the revision a new local approval was proposed under. */
  revision: () => string | undefined;
  /** Where the revision of each local approval is remembered (survives restarts). */
  revisionsFile: string;
  logger: Logger;
  /** Tells the local serve that commands (nudges) were written by this process. */
  commandsWritten: () => void;
  /** The periodic call without pending approvals. Defaults to 5 min. */
  checkIntervalMs?: number;
  /** How long one long poll waits on the server. Defaults to 30 s. */
  waitSeconds?: number;
}

/** Settled local approvals are still reported this long, so the server sees them applied. */
const SETTLED_REPORTED_MS = 24 * 3_600_000;
const MAX_REPORTED = 500;

export class NodeGatesLink {
  private stopped = false;
  private readonly abort = new AbortController();
  /** Aborts a waiting long poll when the local approvals changed. */
  private waiting: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private lastSent = '';
  private lastAt = 0;
  private failures = 0;
  private revisions: Record<string, string>;

  constructor(private readonly options: NodeGatesOptions) {
    this.revisions = existsSync(options.revisionsFile)
      ? (JSON.parse(readFileSync(options.revisionsFile, 'utf8')) as Record<string, string>)
      : {};
  }

  private get checkMs(): number {
    return this.options.checkIntervalMs ?? 5 * 60_000;
  }

  /** One exchange now (with a bound on the wait): the windows in force before serve acts on a set. */
  async first(timeoutMs = 5000): Promise<void> {
    const t = AbortSignal.timeout(timeoutMs);
    try {
      await this.exchange(await this.reports(), 0, t);
    } catch (err) {
      this.options.logger.warn(
        { err: (err as Error).message, windows: this.options.gate.names },
        'cannot get windows and approval decisions from the server; enforcing the last windows',
      );
    }
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
  }

  /** Local records were written: the approvals may have changed. */
  soon(): void {
    if (this.stopped) return;
    void this.reports().then(
      (r) => {
        if (digest(r) === this.lastSent) return;
        this.waiting?.abort();
        this.wakeUp?.();
      },
      () => undefined,
    );
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const reports = await this.reports();
        const changed = digest(reports) !== this.lastSent;
        const pending = reports.some((r) => r.state === 'pending');
        if (changed || pending || Date.now() - this.lastAt >= this.checkMs) {
          this.waiting = new AbortController();
          const signal = AbortSignal.any([this.abort.signal, this.waiting.signal]);
          const wait = pending && !changed ? (this.options.waitSeconds ?? 30) : 0;
          const decided = await this.exchange(reports, wait, signal).catch((err: Error) => {
            if (signal.aborted) return 0; // the local approvals changed, or stop
            throw err;
          });
          this.waiting = undefined;
          if (this.failures > 0) this.options.logger.info({}, 'approval gates reachable again');
          this.failures = 0;
          if (decided > 0 || (pending && !changed)) continue;
        }
        if (!pending) await this.pause(this.checkMs - (Date.now() - this.lastAt));
      } catch (err) {
        if (this.stopped) return;
        this.failures++;
        const wait =
          Math.min(this.checkMs, 500 * 2 ** Math.min(this.failures, 10)) * (0.5 + Math.random() * 0.5);
        this.options.logger.warn(
          { err: (err as Error).message, retryInMs: Math.round(wait) },
          'cannot exchange approvals with the server; pending approvals wait',
        );
        await this.pause(wait);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakeUp = undefined;
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.wakeUp = done;
    });
  }

  /** The local approvals to report: open ones, and settled ones of the last day. */
  private async reports(): Promise<NodeApprovalReport[]> {
    const all = await this.options.store.listApprovals();
    const since = Date.now() - SETTLED_REPORTED_MS;
    const wanted = all
      .filter(
        (a) =>
          a.state === 'pending' || a.state === 'approved' || Date.parse(a.decidedAt ?? a.createdAt) >= since,
      )
      .slice(-MAX_REPORTED);
    return wanted.map((a) => this.report(a));
  }

  private report(a: ApprovalRecord): NodeApprovalReport {
    let revision = this.revisions[a.id];
    if (!revision) {
      revision = this.options.revision() ?? '';
      this.remember(a.id, revision);
    }
    return {
      localId: a.id,
      resourceId: a.resourceId,
      ...(revision ? { revision } : {}),
      op: a.op,
      reason: a.reason,
      destructive: a.destructive,
      changes: a.changes,
      desiredDigest: a.desiredDigest,
      changeDigest: a.changeDigest,
      state: a.state,
      createdAt: a.createdAt,
    };
  }

  private remember(id: string, revision: string): void {
    this.revisions[id] = revision;
    // Bounded: the newest entries are the ones still reported.
    const keys = Object.keys(this.revisions);
    for (const k of keys.slice(0, Math.max(0, keys.length - 2 * MAX_REPORTED))) delete this.revisions[k];
    const tmp = this.options.revisionsFile + '.tmp';
    writeFileSync(tmp, JSON.stringify(this.revisions));
    renameSync(tmp, this.options.revisionsFile);
  }

  /** One call; applies the windows and decisions. Returns the number of decisions applied. */
  private async exchange(reports: NodeApprovalReport[], wait: number, signal: AbortSignal): Promise<number> {
    const { client, node } = this.options;
    const answer = await client.call<{ windows: WindowSpec[]; decisions: NodeDecision[] }>(
      'POST',
      `/api/v1/fleet/nodes/${encodeURIComponent(node)}/gates?wait=${wait}`,
      { approvals: reports },
      signal,
    );
    this.lastSent = digest(reports);
    this.lastAt = Date.now();
    await this.windows(answer.windows);
    let applied = 0;
    for (const d of answer.decisions) if (await this.decide(d)) applied++;
    if (applied) this.options.commandsWritten();
    return applied;
  }

  private async windows(windows: WindowSpec[]): Promise<void> {
    const { gate, store, logger } = this.options;
    if (!gate.update(windows)) return;
    logger.info(
      { windows: gate.names },
      `change windows in force on this node: ${gate.names.join(', ') || 'none'}`,
    );
    // Everything is looked at again: held resources may be free now, others held.
    await store.appendNudge({ reason: 'windows', actor: 'server', at: new Date().toISOString() });
    this.options.commandsWritten();
  }

  /** Writes a decision into the local state: serve acts on it (or holds) at its next look. */
  private async decide(d: NodeDecision): Promise<boolean> {
    const { store, logger } = this.options;
    const local = await store.getApproval(d.localId);
    if (!local || local.state !== 'pending') return false;
    const note = `fleet approval ${d.approval}${d.note ? `: ${d.note}` : ''}`;
    await store.putApproval({ ...local, state: d.state, decidedBy: d.by, decidedAt: d.at, note });
    const now = new Date().toISOString();
    const revisionId = this.revisions[local.id] || local.revisionId;
    await store.appendAudit([
      {
        time: now,
        actor: d.by,
        action: d.state === 'approved' ? 'approval.approve' : 'approval.reject',
        resourceId: local.resourceId,
        revisionId,
        diffDigest: local.changeDigest,
        result: d.state,
        detail: { approval: local.id, fleetApproval: d.approval, note: d.note },
      },
    ]);
    await store.appendEvents([
      {
        time: now,
        type: 'Normal',
        reason: d.state === 'approved' ? 'Approved' : 'Rejected',
        message: `approval ${local.id} ${d.state} by ${d.by} (${note})`,
        resourceId: local.resourceId,
        revisionId,
      },
    ]);
    await store.appendNudge({ resourceId: local.resourceId, reason: d.state, actor: d.by, at: now });
    logger.info(
      { resourceId: local.resourceId, revisionId, approval: local.id, fleetApproval: d.approval, by: d.by },
      `approval ${local.id} ${d.state} by ${d.by} (${note})`,
    );
    return true;
  }
}

function digest(reports: readonly NodeApprovalReport[]): string {
  return createHash('sha256')
    .update(JSON.stringify(reports.map((r) => [r.localId, r.state, r.revision])))
    .digest('hex');
}
