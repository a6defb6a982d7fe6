/**
 * The fleet's gates, server side: what an agent asks besides its set. Which
 * change windows select the node (it enforces those), and approvals — the
 * agents report the approvals their local serve proposed, the server groups
 * them into one fleet approval per (resource, revision, change digest), a
 * person approves it once (`setpoint approve ID [--node N]`), and each node
 * gets the decision for its own local approval back.
 */
import { SetpointError } from '../errors.js';
import {
  decideFleet,
  decisionsFor,
  fleetApprovalId,
  mergeNodeReport,
  targetSummary,
  type NodeApprovalReport,
  type NodeDecision,
} from '../fleet/approvals.js';
import { nodeLabels } from '../fleet/compile.js';
import type { ApprovalRecord, Store } from '../store/index.js';
import { windowsForNode, type WindowSpec } from '../windows/index.js';
import type { ApiContext } from './context.js';
import { nodeNamed } from './fleet.js';

/** What the node's agent gets back. */
export interface NodeGates {
  /** The change windows that select the node, without their selector. */
  windows: WindowSpec[];
  /** Decisions on the node's local approvals that it has not applied yet. */
  decisions: NodeDecision[];
}

interface GateState {
  /** Serialises read-merge-write of fleet approvals (reports of many nodes arrive at once). */
  chain: Promise<unknown>;
  waiters: Set<() => void>;
  timer?: NodeJS.Timeout;
  counter?: number;
}
const states = new WeakMap<ApiContext, GateState>();
const stateOf = (ctx: ApiContext): GateState => {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = { chain: Promise.resolve(), waiters: new Set() }));
  return s;
};

function locked<T>(ctx: ApiContext, run: () => Promise<T>): Promise<T> {
  const st = stateOf(ctx);
  const next = st.chain.then(run, run);
  st.chain = next.catch(() => undefined);
  return next;
}

/** Wakes the nodes waiting for a decision (a decision was made in this process). */
function wake(ctx: ApiContext): void {
  for (const w of [...stateOf(ctx).waiters]) w();
}

/**
 * Waits up to `ms` for a decision: made in this process (wake), or by another
 * one (a CLI on the same store, another replica), seen as the store's change
 * counter moving. One timer per server, whatever the number of waiting nodes.
 */
function waitForDecision(ctx: ApiContext, store: Store, ms: number, signal?: AbortSignal): Promise<void> {
  const st = stateOf(ctx);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      st.waiters.delete(done);
      if (st.waiters.size === 0) {
        clearInterval(st.timer);
        st.timer = undefined;
        st.counter = undefined;
      }
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    st.waiters.add(done);
    st.timer ??= setInterval(() => {
      void store.changeCounter().then(
        (c) => {
          if (st.counter !== undefined && c !== st.counter) wake(ctx);
          st.counter = c;
        },
        () => undefined,
      );
    }, 500);
    st.timer.unref();
  });
}

async function openFleetApprovals(store: Store): Promise<Map<string, ApprovalRecord>> {
  const open = [
    ...(await store.listApprovals({ state: 'pending' })),
    ...(await store.listApprovals({ state: 'approved' })),
  ];
  return new Map(open.filter((a) => a.fleet).map((a) => [a.id, a]));
}

/**
 * One exchange with a node's agent: its approvals now go in, the windows that
 * select it and the decisions it waits for come out. With `waitSeconds`, the
 * answer waits (a long poll) until a decision for one of its pending
 * approvals is made.
 */
export async function exchangeNodeGates(
  ctx: ApiContext,
  name: string,
  input: { approvals: NodeApprovalReport[]; waitSeconds?: number },
  signal?: AbortSignal,
): Promise<NodeGates> {
  const store = await ctx.store();
  const node = await store.getNode(name);
  if (!node) throw new SetpointError(`no node named ${name}`, 'SETPOINT_NOT_FOUND', 'enrol the node first');
  const windows = windowsForNode(ctx.settings.windows, nodeLabels(node));
  await locked(ctx, () => mergeReport(ctx, store, name, input.approvals));
  const pending = new Set(input.approvals.filter((a) => a.state === 'pending').map((a) => a.localId));
  const deadline = Date.now() + (input.waitSeconds ?? 0) * 1000;
  for (;;) {
    const decisions = pending.size
      ? decisionsFor((await openFleetApprovals(store)).values(), name, pending)
      : [];
    const left = deadline - Date.now();
    if (decisions.length || left <= 0 || signal?.aborted || pending.size === 0) return { windows, decisions };
    await waitForDecision(ctx, store, left, signal);
  }
}

async function mergeReport(
  ctx: ApiContext,
  store: Store,
  name: string,
  reports: readonly NodeApprovalReport[],
): Promise<void> {
  const known = await openFleetApprovals(store);
  // Settled reports may name approvals no longer open: read those too, so they settle.
  for (const r of reports)
    if (r.state !== 'pending')
      for (const a of await store.listApprovals({ resourceId: r.resourceId }))
        if (a.fleet && !known.has(a.id)) known.set(a.id, a);
  const now = new Date().toISOString();
  // The snapshot says which approvals this report changes; each is then merged again and written
  // atomically on the record as it is now, so a decision or another node's report made meanwhile
  // (another replica, a CLI) is kept, not overwritten.
  for (const id of mergeNodeReport(known, name, reports, now).changed.map((r) => r.id)) {
    let fresh = false;
    const rec = await store.updateApproval(id, (cur) => {
      const one = mergeNodeReport(
        new Map(cur ? [[id, cur]] : []),
        name,
        reports.filter((r) => fleetApprovalId(r.resourceId, r.revision ?? '', r.changeDigest) === id),
        now,
      );
      fresh = one.created.includes(id);
      return one.changed[0];
    });
    if (!rec) continue;
    ctx.logger.info(
      {
        resourceId: rec.resourceId,
        revisionId: rec.revisionId,
        approval: rec.id,
        node: name,
        state: rec.state,
        targets: rec.fleet?.targets.length,
      },
      fresh
        ? `fleet approval ${rec.id} proposed by node ${name}: ${rec.op} ${rec.resourceId}`
        : `fleet approval ${rec.id} (${rec.state}): node ${name} reported; ${targetSummary(rec.fleet?.targets ?? [])}`,
    );
    if (!fresh) continue;
    await ctx.audit('approval.request', {
      time: now,
      actor: `node:${name}`,
      resourceId: rec.resourceId,
      revisionId: rec.revisionId,
      diffDigest: rec.changeDigest,
      result: 'pending',
      detail: { approval: rec.id, op: rec.op, fleet: true, node: name },
    });
    await store.appendEvents([
      {
        time: now,
        type: 'Warning',
        reason: 'ApprovalRequired',
        message: `${rec.op} on enrolled nodes waits for fleet approval ${rec.id}; run \`setpoint approve ${rec.id}\``,
        resourceId: rec.resourceId,
        revisionId: rec.revisionId,
      },
    ]);
  }
}

/** Approves or rejects a fleet approval's pending targets (all, or those on `nodes`). Audited with the node list. */
export async function decideFleetApproval(
  ctx: ApiContext,
  id: string,
  decision: 'approved' | 'rejected',
  options: { actor: string; note?: string; nodes?: readonly string[] },
): Promise<ApprovalRecord> {
  const store = await ctx.store();
  const record = await locked(ctx, async () => {
    const now = new Date().toISOString();
    let decided!: ReturnType<typeof decideFleet>;
    let rec!: ApprovalRecord;
    // Atomic on the record as it is now: a node's report written meanwhile is kept.
    await store.updateApproval(id, (cur) => {
      if (!cur?.fleet)
        throw new SetpointError(
          `no fleet approval ${id}`,
          'SETPOINT_NOT_FOUND',
          '`setpoint approvals` lists them',
        );
      rec = cur;
      try {
        decided = decideFleet(cur, decision, {
          actor: options.actor,
          now,
          note: options.note,
          nodes: options.nodes,
        });
      } catch (err) {
        throw new SetpointError(
          (err as Error).message,
          'SETPOINT_APPROVAL_NOT_PENDING',
          'give --node with one of the pending nodes, or leave it out to decide for all of them',
        );
      }
      return decided.record;
    });
    const verb = decision === 'approved' ? 'approve' : 'reject';
    await ctx.audit(`approval.${verb}`, {
      time: now,
      actor: options.actor,
      resourceId: rec.resourceId,
      revisionId: rec.revisionId,
      diffDigest: rec.changeDigest,
      result: decision,
      detail: { approval: rec.id, op: rec.op, note: options.note, fleet: true, nodes: decided.nodes },
    });
    const message = `fleet approval ${rec.id} ${decision} by ${options.actor} for ${decided.nodes.length} node(s): ${decided.nodes.join(', ')}`;
    await store.appendEvents([
      {
        time: now,
        type: 'Normal',
        reason: decision === 'approved' ? 'Approved' : 'Rejected',
        message,
        resourceId: rec.resourceId,
        revisionId: rec.revisionId,
      },
    ]);
    ctx.logger.info(
      {
        resourceId: rec.resourceId,
        revisionId: rec.revisionId,
        approval: rec.id,
        actor: options.actor,
        nodes: decided.nodes,
      },
      message,
    );
    return decided.record;
  });
  wake(ctx);
  return record;
}

/** The change windows that select an enrolled node (what `plan --node` evaluates). */
export async function nodeWindows(ctx: ApiContext, name: string): Promise<WindowSpec[]> {
  return windowsForNode(ctx.settings.windows, nodeLabels(await nodeNamed(ctx, name)));
}
