/**
 * Human and JSON renderings of plans and changes: `+ ~ ± -` per resource,
 * old -> new per field, unified diffs for text content, secrets as "(sensitive)".
 */
import { unifiedDiff, type Change } from '../diff/index.js';
import {
  OP_GLYPH,
  type Action,
  type ActionHold,
  type Op,
  type Plan,
  type PlanSummary,
} from '../plan/index.js';
import { REDACTED } from '../secrets/redact.js';
import { SECRET_UNRESOLVED } from '../errors.js';
import type { Diagnostic } from '../manifest/index.js';
import type { ApplyReport } from '../engine/index.js';
import type { Colors } from './output.js';

export function glyphColor(c: Colors, op: Op | 'drift'): (s: string) => string {
  switch (op) {
    case 'create':
      return c.green;
    case 'update':
    case 'drift':
      return c.yellow;
    case 'replace':
      return c.magenta;
    case 'delete':
      return c.red;
    default:
      return (s: string) => s;
  }
}

export function summaryLine(s: PlanSummary): string {
  const parts = [`${s.create} to create`, `${s.update} to update`];
  if (s.replace > 0) parts.push(`${s.replace} to replace`);
  parts.push(`${s.delete} to delete`);
  return `Plan: ${parts.join(', ')}.`;
}

export async function renderPlan(
  plan: Plan,
  c: Colors,
  options: { compact?: boolean } = {},
): Promise<string> {
  const lines: string[] = [];
  const changed = plan.actions.filter((a) => a.op !== 'noop');
  if (changed.length > 0) {
    lines.push('setpoint will perform these actions:', '');
    for (const a of changed) lines.push(...(await renderAction(a, c, options.compact)));
    lines.push('');
  }
  if (plan.orphans.length > 0) {
    lines.push(
      c.dim(
        `${plan.orphans.length} resource${plan.orphans.length === 1 ? ' is' : 's are'} no longer declared and kept (pruning is off): ${plan.orphans.slice(0, 5).join(', ')}${plan.orphans.length > 5 ? ', …' : ''}`,
      ),
      c.dim('  (pass --prune or set lifecycle.prune to delete them)'),
      '',
    );
  }
  const unknown = renderUnknown(plan.diagnostics, c);
  lines.push(...unknown);
  if (changed.length === 0 && unknown.length > 0)
    lines.push(
      c.yellow(
        `No changes to the ${plan.actions.length} resources that could be compared; ${unknown.length - 1} unknown.`,
      ),
    );
  else if (changed.length === 0)
    lines.push(
      c.green(`No changes: the actual state matches the desired state (${plan.actions.length} resources).`),
    );
  else {
    lines.push(c.bold(summaryLine(plan.summary)));
    const held = holdsLine(plan.actions);
    if (held) lines.push(c.yellow(held));
  }
  return lines.join('\n');
}

export async function renderAction(a: Action, c: Colors, compact = false): Promise<string[]> {
  const color = glyphColor(c, a.op);
  const lines = [
    `  ${color(OP_GLYPH[a.op])} ${c.bold(a.id)}  ${c.dim(`(${a.reason}${a.destructive ? ', destructive' : ''})`)}`,
  ];
  if (a.hold) lines.push(`      ${c.yellow(holdLine(a.hold))}`);
  if (!compact) for (const ch of a.changes) lines.push(...(await renderChange(ch, a.op, c, '      ')));
  return lines;
}

const HOLD_KIND: Record<ActionHold['kind'], string> = {
  window: 'change window',
  budget: 'error budget of SLO',
  rollout: 'rollout step',
};

/** "held by change window freeze until 2027-01-01T06:00:00.000Z: deny window ... is open". */
export function holdLine(h: ActionHold): string {
  const what = `${h.effect === 'approve' ? 'needs approval, by' : 'held by'} ${HOLD_KIND[h.kind]} ${h.name}`;
  const until = h.until ? ` until ${h.until}` : h.kind === 'budget' ? ' until the budget recovers' : '';
  return `${what}${until}: ${h.reason}`;
}

/** "2 of them would be held now (1 by a change window, 1 by an error budget)." */
export function holdsLine(actions: readonly Action[]): string | undefined {
  const held = actions.filter((a) => a.op !== 'noop' && a.hold);
  if (held.length === 0) return undefined;
  const by = (Object.keys(HOLD_KIND) as Array<ActionHold['kind']>)
    .map((k) => [k, held.filter((a) => a.hold!.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(
      ([k, n]) =>
        `${n} by ${k === 'window' ? 'a change window' : k === 'budget' ? 'an error budget' : 'a rollout step'}`,
    );
  return `${held.length} of them would be held now (${by.join(', ')}).`;
}

export async function renderChange(
  ch: Change,
  op: Op | 'drift',
  c: Colors,
  indent: string,
): Promise<string[]> {
  const glyph = op === 'create' ? '+' : op === 'replace' && ch.forcesReplace ? '±' : '~';
  const color = glyphColor(
    c,
    op === 'create' ? 'create' : op === 'replace' && ch.forcesReplace ? 'replace' : 'update',
  );
  const head = `${indent}${color(glyph)} ${ch.path}`;
  if (ch.sensitive) return [`${head}: ${c.dim(REDACTED + ' value changed')}`];
  if (ch.format === 'text') {
    const out = [`${head}:`];
    const body =
      ch.old === undefined ? prefixLines(text(ch.new), '+') : await unifiedDiff(text(ch.old), text(ch.new));
    for (const l of body.split('\n')) {
      const col = l.startsWith('+')
        ? c.green
        : l.startsWith('-')
          ? c.red
          : l.startsWith('@@')
            ? c.cyan
            : (s: string) => s;
      out.push(`${indent}    ${col(l)}`);
    }
    return out;
  }
  if (ch.old === undefined) return [`${head}: ${fmt(ch.new)}`];
  return [`${head}: ${fmt(ch.old)} ${c.dim('->')} ${fmt(ch.new)}`];
}

function prefixLines(text: string, prefix: string): string {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => prefix + l).join('\n');
}

function fmt(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The plan as data: text changes carry a unified diff instead of full contents. */
export async function planJson(plan: Plan): Promise<unknown> {
  return {
    revision: plan.revision,
    createdAt: plan.createdAt,
    summary: plan.summary,
    changes: plan.summary.create + plan.summary.update + plan.summary.replace + plan.summary.delete > 0,
    actions: await Promise.all(plan.actions.map(actionJson)),
    orphans: plan.orphans,
    unknown: unknownIds(plan.diagnostics),
    diagnostics: plan.diagnostics,
  };
}

/** One action as data: the same shape in `plan --json` and `apply --json`. */
export async function actionJson(a: Action): Promise<Action> {
  return { ...a, changes: (await changesJson(a.changes)) as Change[] };
}

/** The apply report as data: each outcome's action in the plan's shape, its error as a message. */
export async function applyJson(report: ApplyReport): Promise<unknown> {
  return {
    ...report,
    outcomes: await Promise.all(
      report.outcomes.map(async ({ error, ...o }) => ({
        ...o,
        action: await actionJson(o.action),
        ...(error === undefined
          ? {}
          : { error: error instanceof Error ? error.message : JSON.stringify(error) }),
      })),
    ),
  };
}

/** Resources plan and drift could not compare: a secret of theirs does not resolve (a warning each). */
export function unknownIds(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics
    .filter((d) => d.severity === 'warning' && d.code === SECRET_UNRESOLVED && d.resourceId)
    .map((d) => d.resourceId!);
}

/** `? Kind/ns/name  (unknown: ...)` lines for those resources. */
export function renderUnknown(diagnostics: readonly Diagnostic[], c: Colors): string[] {
  const ids = unknownIds(diagnostics);
  if (ids.length === 0) return [];
  return [
    ...ids.map(
      (id) => `  ${c.yellow('?')} ${c.bold(id)}  ${c.dim('(unknown: a secret it needs does not resolve)')}`,
    ),
    '',
  ];
}

export async function changesJson(changes: readonly Change[]): Promise<unknown[]> {
  return Promise.all(
    changes.map(async (ch) => {
      if (ch.sensitive) return { path: ch.path, sensitive: true };
      if (ch.format === 'text')
        return {
          path: ch.path,
          format: 'text',
          diff: await unifiedDiff(ch.old === undefined ? '' : text(ch.old), text(ch.new)),
        };
      return ch;
    }),
  );
}

/** Text changes carry strings; anything else is shown as JSON rather than "[object Object]". */
function text(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}
