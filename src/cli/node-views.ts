/**
 * `--node NAME` on plan, render, status, describe and events: the same views
 * of one enrolled node, from its compiled set (what the server sends it now)
 * and what its agent reported. Local or with --server alike.
 */
import jsyaml from 'js-yaml';
import type { NodeDocument } from '../fleet/compile.js';
import type { SetpointClient } from '../client/types.js';
import type { EventRecord, NodeResourceStatus } from '../store/index.js';
import { EXIT } from './context.js';
import { evaluateWindows } from '../windows/evaluate.js';
import type { WindowSpec } from '../windows/index.js';
import { ago, healthColor, syncColor, table, type Output } from './output.js';

const docId = (d: NodeDocument) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`;

export interface NodePlanAction {
  id: string;
  op: 'create' | 'update' | 'delete' | 'noop';
  reason: string;
  /** A change window that selects the node holds this action now, until `until`. */
  heldBy?: { window: string; reason: string; until: string };
}

/** Marks the actions that the node's windows hold at `now` (as its agent will). */
export function holdByWindows(
  actions: NodePlanAction[],
  documents: readonly NodeDocument[],
  windows: readonly WindowSpec[],
  now: Date,
): NodePlanAction[] {
  if (windows.length === 0) return actions;
  const docs = new Map(documents.map((d) => [docId(d), d]));
  return actions.map((a) => {
    const d = docs.get(a.id);
    if (a.op === 'noop' || !d) return a;
    const verdict = evaluateWindows(
      windows,
      {
        kind: d.kind,
        namespace: d.metadata.namespace,
        labels: d.metadata.labels ?? {},
        priority: d.lifecycle?.priority,
      },
      now,
    );
    return verdict.blocked
      ? {
          ...a,
          heldBy: { window: verdict.window, reason: verdict.reason, until: verdict.until.toISOString() },
        }
      : a;
  });
}

/**
 * What the node's agent would do with its set as it stands: resources it has
 * not reported yet are created, ones it reports out of sync (or held under an
 * older set) change, ones no longer in its set leave it.
 */
export function nodePlan(
  set: { digest: string; documents: NodeDocument[] },
  node: { appliedDigest?: string; appliedRevision?: string; resources: NodeResourceStatus[] },
): NodePlanAction[] {
  const reported = new Map(node.resources.map((r) => [r.id, r]));
  const current = node.appliedDigest === set.digest;
  const actions: NodePlanAction[] = set.documents.map((d) => {
    const id = docId(d);
    const r = reported.get(id);
    if (!r) return { id, op: 'create', reason: 'not on the node yet' };
    if (!current)
      return {
        id,
        op: 'update',
        reason: `the node enforces an older set (${node.appliedRevision ?? 'none'}); it gets this one next`,
      };
    if (r.sync !== 'InSync') return { id, op: 'update', reason: `the node reports it ${r.sync}` };
    return { id, op: 'noop', reason: 'in sync on the node' };
  });
  const inSet = new Set(set.documents.map(docId));
  for (const r of node.resources)
    if (!inSet.has(r.id))
      actions.push({
        id: r.id,
        op: 'delete',
        reason: 'no longer selects the node (pruned when prune is on)',
      });
  return actions;
}

const GLYPH = { create: '+', update: '~', delete: '-', noop: ' ' } as const;

export async function printNodePlan(
  api: SetpointClient,
  o: Output,
  name: string,
  detailedExitcode?: boolean,
): Promise<number> {
  const [set, node, windows] = await Promise.all([api.nodeSet(name), api.node(name), api.nodeWindows(name)]);
  const actions = holdByWindows(nodePlan(set, node), set.documents, windows, new Date());
  const changes = actions.filter((a) => a.op !== 'noop');
  if (o.json)
    o.printJson({
      node: name,
      revision: set.revision,
      digest: set.digest,
      actions,
      windows: windows.map((w) => w.name),
      notes: set.notes,
    });
  else {
    const c = o.colors;
    o.out(c.dim(`node ${name}: set ${set.digest.slice(0, 12)} of revision ${set.revision}`));
    for (const a of actions) {
      const held = a.heldBy ? c.yellow(`  held by window ${a.heldBy.window} until ${a.heldBy.until}`) : '';
      const line = `${GLYPH[a.op]} ${a.id}  ${c.dim(a.reason)}${held}`;
      o.out(
        a.op === 'create'
          ? c.green(line)
          : a.op === 'delete'
            ? c.red(line)
            : a.op === 'update'
              ? c.yellow(line)
              : line,
      );
    }
    for (const n of set.notes) o.out(c.dim(`note: ${n}`));
    if (windows.length)
      o.out(c.dim(`windows on this node: ${windows.map((w) => `${w.name} (${w.type})`).join(', ')}`));
    const count = (op: string) => actions.filter((a) => a.op === op).length;
    const held = actions.filter((a) => a.heldBy).length;
    o.out(
      `\nPlan for node ${name}: ${count('create')} to create, ${count('update')} to change, ${count('delete')} to leave the node, ${count('noop')} unchanged${held ? `; ${held} held by change windows` : ''}.`,
    );
  }
  return detailedExitcode && changes.length ? EXIT.changes : EXIT.ok;
}

/** The node's compiled set as manifest documents (what its agent loads). */
export async function printNodeSet(api: SetpointClient, o: Output, name: string): Promise<void> {
  const set = await api.nodeSet(name);
  if (o.json) {
    o.printJson(set.documents);
    return;
  }
  o.out(`# Node: ${name}, set ${set.digest}, revision ${set.revision}`);
  for (const n of set.notes) o.out(`# note: ${n}`);
  o.out(set.documents.map((d) => jsyaml.dump(d, { lineWidth: -1, noRefs: true }).trimEnd()).join('\n---\n'));
}

export async function printNodeStatus(api: SetpointClient, o: Output, name: string): Promise<void> {
  const node = await api.node(name);
  if (o.json) {
    o.printJson(node);
    return;
  }
  const c = o.colors;
  const state = node.revokedAt ? 'revoked' : node.offline ? 'offline' : node.behind ? 'behind' : 'current';
  o.out(
    `node ${node.name} (${state}): revision ${node.appliedRevision ?? '-'}, last seen ${ago(node.lastSeenAt)}, agent ${node.agentVersion ?? '-'}`,
  );
  if (node.resources.length === 0) {
    o.out('No resources reported yet.');
    return;
  }
  o.out(
    table(
      ['ID', 'SYNC', 'HEALTH', 'DRIFTED SINCE', 'MESSAGE'],
      node.resources.map((r) => [
        r.id,
        syncColor(c, r.sync as never),
        healthColor(c, r.health as never),
        r.driftedSince ? ago(r.driftedSince) : '-',
        r.lastError ? c.red(r.lastError.slice(0, 80)) : '',
      ]),
      c,
    ),
  );
  const k = node.counts;
  o.out(c.dim(`\n${k.total} resources: ${k.inSync} in sync, ${k.drifted} drifted, ${k.failed} failed.`));
}

export function eventsTable(o: Output, events: readonly EventRecord[]): string {
  const c = o.colors;
  return table(
    ['TIME', 'TYPE', 'REASON', 'RESOURCE', 'REVISION', 'MESSAGE'],
    events.map((e) => [
      e.time,
      e.type === 'Warning' ? c.yellow(e.type) : e.type,
      e.reason,
      e.resourceId ?? '-',
      e.revisionId?.slice(0, 8) ?? '-',
      e.message.split('\n')[0],
    ]),
    c,
  );
}

/** One resource as the node has it: its document in the node's set, its reported status and events. */
export async function printNodeDescribe(
  api: SetpointClient,
  o: Output,
  name: string,
  rawId: string,
): Promise<number> {
  const id = api.normalizeId(rawId);
  const [set, node, events] = await Promise.all([
    api.nodeSet(name),
    api.node(name),
    api.nodeEvents(name, id, 20),
  ]);
  const desired = set.documents.find((d) => docId(d) === id);
  const status = node.resources.find((r) => r.id === id);
  if (!desired && !status) {
    if (o.json)
      o.printJson({ error: { code: 'SETPOINT_NOT_FOUND', message: `no resource ${id} on node ${name}` } });
    else o.err(o.colors.red(`error: ${id} is neither in node ${name}'s set nor reported by it`));
    return EXIT.error;
  }
  if (o.json) {
    o.printJson({ id, node: name, desired: desired?.spec, status, events });
    return EXIT.ok;
  }
  const c = o.colors;
  o.out(`${c.bold('Resource:')}  ${id}`);
  o.out(`${c.bold('Node:')}      ${name}  (revision ${node.appliedRevision ?? '-'})`);
  if (status) {
    o.out(
      `${c.bold('Sync:')}      ${syncColor(c, status.sync)}${status.driftedSince ? `  (drifted since ${status.driftedSince})` : ''}`,
    );
    o.out(`${c.bold('Health:')}    ${healthColor(c, status.health)}`);
    if (status.lastError) o.out(`${c.bold('Error:')}     ${c.red(status.lastError)}`);
  } else o.out(`${c.bold('Sync:')}      not reported by the node yet`);
  o.out(
    `${c.bold('Desired:')}${desired ? '\n' + jsyaml.dump(desired.spec, { lineWidth: 120, noRefs: true }).trimEnd().replace(/^/gm, '  ') : '  (no longer in its set)'}`,
  );
  o.out(c.bold('Events:'));
  o.out(events.length ? eventsTable(o, events).replace(/^/gm, '  ') : '  none');
  return EXIT.ok;
}
