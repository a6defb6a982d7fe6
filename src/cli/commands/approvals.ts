import type { Command } from 'commander';
import { collect, EXIT, runClient } from '../context.js';
import { ago, table } from '../output.js';
import { renderChange } from '../render-plan.js';
import type { Change } from '../../diff/index.js';
import type { ApprovalRecord } from '../../store/index.js';
import { targetSummary } from '../../fleet/approvals.js';

export function register(program: Command): void {
  program
    .command('approvals')
    .description('actions serve proposed that wait for approval, with their diff')
    .option('--all', 'every approval, not only pending ones')
    .action((opts: { all?: boolean }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.approvals(opts.all ? undefined : 'pending');
        if (o.json) {
          o.printJson(list);
          return;
        }
        if (list.length === 0) {
          o.out(opts.all ? 'No approvals.' : 'Nothing waits for approval.');
          return;
        }
        const c = o.colors;
        if (opts.all) {
          o.out(
            table(
              ['ID', 'RESOURCE', 'ACTION', 'STATE', 'NODES', 'CREATED', 'DECIDED BY', 'NOTE'],
              list.map((a) => [
                a.id,
                a.resourceId,
                a.op,
                a.state,
                a.fleet ? String(a.fleet.targets.length) : '-',
                ago(a.createdAt),
                a.decidedBy ?? '-',
                a.note ?? '',
              ]),
            ),
          );
          return;
        }
        for (const a of list) {
          o.out(
            `${c.bold(a.id)}  ${a.op} ${c.bold(a.resourceId)}  ${c.dim(`(${a.reason}, proposed ${ago(a.createdAt)}${a.destructive ? ', destructive' : ''})`)}`,
          );
          if (a.fleet) o.out(`    on ${targetSummary(a.fleet.targets, 10)}`);
          for (const ch of a.changes)
            o.out(
              (await renderChange(ch as Change, a.op === 'create' ? 'create' : 'update', c, '    ')).join(
                '\n',
              ),
            );
        }
        o.out(
          c.dim(
            `\n${list.length} waiting. setpoint approve ID [--node NAME] | --all, setpoint reject ID [--node NAME]`,
          ),
        );
      }),
    );

  program
    .command('approve')
    .description('approve a proposed action (refused when the plan it showed is stale)')
    .argument('[id]', 'approval id (or a unique prefix)')
    .option('--all', 'approve every pending action')
    .option('-m, --note <text>', 'why, for the audit log')
    .option('-f, --file <path>', 'manifest file or folder (repeatable)', collect, [])
    .option('--node <name>', 'of a fleet approval, approve only this node (repeatable)', collect, [])
    .action(
      (
        id: string | undefined,
        opts: { all?: boolean; note?: string; file: string[]; node: string[] },
        cmd: Command,
      ) =>
        runClient(cmd, async (api, o) => {
          const ids = opts.all ? (await api.approvals('pending')).map((a) => a.id) : id ? [id] : [];
          if (ids.length === 0) {
            o.err(opts.all ? 'Nothing waits for approval.' : 'error: give an approval id, or --all');
            return opts.all ? EXIT.ok : EXIT.error;
          }
          let failed = 0;
          const results: unknown[] = [];
          for (const x of ids) {
            try {
              const a = await api.approve(x, { paths: opts.file, note: opts.note, nodes: opts.node });
              results.push(a);
              if (!o.json)
                o.out(o.colors.green(`approved ${a.id}: ${a.op} ${a.resourceId}${onNodes(a, 'approved')}`));
            } catch (err) {
              failed++;
              results.push({ id: x, error: (err as Error).message });
              if (!o.json)
                o.err(
                  o.colors.red(`error: ${(err as Error).message}`) +
                    ((err as { hint?: string }).hint ? `\n  hint: ${(err as { hint?: string }).hint}` : ''),
                );
            }
          }
          if (o.json) o.printJson(results);
          return failed ? EXIT.error : EXIT.ok;
        }),
    );

  program
    .command('reject')
    .description('reject a proposed action; serve leaves the resource as it is')
    .argument('<id>')
    .option('-m, --note <text>', 'why, for the audit log')
    .option('--node <name>', 'of a fleet approval, reject only this node (repeatable)', collect, [])
    .action((id: string, opts: { note?: string; node: string[] }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const a = await api.reject(id, opts.note, { nodes: opts.node });
        if (o.json) o.printJson(a);
        else o.out(`rejected ${a.id}: ${a.op} ${a.resourceId}${onNodes(a, 'rejected')}`);
      }),
    );

  program
    .command('resume')
    .description('lift Conflict from a resource so serve repairs it again')
    .argument('<id>')
    .action((id: string, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const r = await api.resume(id);
        if (o.json) o.printJson(r);
        else o.out(`resumed ${r.id}`);
      }),
    );
}

/** " on 3 nodes: a, b, c" for a fleet approval: the nodes this decision went to. */
function onNodes(a: ApprovalRecord, state: 'approved' | 'rejected'): string {
  if (!a.fleet) return '';
  const nodes = a.fleet.targets
    .filter((t) => t.state === state && t.decidedAt === a.decidedAt)
    .map((t) => t.node);
  return ` on ${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${nodes.join(', ')}`;
}
