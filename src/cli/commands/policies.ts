import type { Command } from 'commander';
import { printDiagnostics } from '../diagnostics.js';
import { collect, parseIntOption, run } from '../context.js';
import { ago, table } from '../output.js';

export function register(program: Command): void {
  program
    .command('policies')
    .description('the declared policies, with their violation counts and the most recent violations')
    .option('-f, --file <path>', 'manifest file or folder, walked recursively (repeatable)', collect, [])
    .option('-n, --limit <n>', 'recent violations to show (default 20)', parseIntOption, 20)
    .option('--policy <name>', 'recent violations of this policy only')
    .action((opts: { file: string[]; limit: number; policy?: string }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const listing = await api.policies({ paths: opts.file, limit: opts.limit, policy: opts.policy });
        if (o.json) {
          o.printJson(listing);
          return;
        }
        const c = o.colors;
        printDiagnostics(o, listing.diagnostics);
        if (listing.policies.length === 0) o.out('No policies declared.');
        else
          o.out(
            table(
              ['NAME', 'ACTION', 'JUDGES', 'MATCH', 'VIOLATIONS', 'LAST', 'DECLARED AT'],
              listing.policies.map((p) => [
                p.name,
                p.action === 'deny'
                  ? c.red(p.action)
                  : p.action === 'warn'
                    ? c.yellow(p.action)
                    : c.cyan(p.action),
                p.runtime ? 'actual state' : 'desired state',
                matchText(p.match),
                String(p.violations),
                ago(p.lastViolation),
                p.origin,
              ]),
              c,
            ),
          );
        if (listing.violations.length === 0) return;
        o.out();
        o.out(c.bold('Recent violations:'));
        o.out(
          table(
            ['TIME', 'POLICY', 'ACTION', 'RESOURCE', 'REVISION', 'MESSAGE'],
            listing.violations.map((v) => [
              v.time,
              v.policy,
              `${v.action}${v.blocked ? ' (blocked)' : ''}`,
              v.resourceId,
              v.revisionId?.slice(0, 12) ?? '-',
              v.message.split('\n')[0],
            ]),
            c,
          ),
        );
      }),
    );
}

function matchText(
  match: { kinds?: string[]; namespaces?: string[]; labels?: Record<string, string> } | undefined,
): string {
  const parts: string[] = [];
  if (match?.kinds) parts.push(`kinds=${match.kinds.join(',')}`);
  if (match?.namespaces) parts.push(`namespaces=${match.namespaces.join(',')}`);
  for (const [k, v] of Object.entries(match?.labels ?? {})) parts.push(`${k}=${v}`);
  return parts.join(' ') || '*';
}
