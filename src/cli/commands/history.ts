import type { Command } from 'commander';
import { parseIntOption, runClient } from '../context.js';
import { table } from '../output.js';

function seconds(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '-';
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return s < 100 ? `${s.toFixed(2)}s` : `${Math.round(s)}s`;
}

export function register(program: Command): void {
  program
    .command('history')
    .description(
      'revisions (admitted or refused, when they converged, change lead time), the latest rollout of each source and past runs',
    )
    .option('-n, --limit <n>', 'how many of each (default 20)', parseIntOption, 20)
    .action((opts: { limit: number }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const h = await api.history(opts.limit);
        // The latest rollout of each source with a strategy: a rollback shows here with its reason.
        const rollouts = await api.rollouts();
        if (o.json) {
          o.printJson({ ...h, rollouts });
          return;
        }
        const c = o.colors;
        if (h.revisions.length === 0 && h.runs.length === 0 && rollouts.length === 0) {
          o.out('No history yet.');
          return;
        }
        if (h.revisions.length > 0) {
          o.out(c.bold('Revisions'));
          o.out(
            table(
              [
                'REVISION',
                'SOURCE',
                'COMMIT',
                'AUTHOR',
                'ADMISSION',
                'CREATED',
                'CONVERGED IN',
                'LEAD TIME',
                'MESSAGE',
              ],
              h.revisions.map((r) => [
                r.id,
                r.source,
                r.commit?.slice(0, 12) ?? '-',
                r.author?.replace(/ <.*>$/, '') ?? '-',
                r.admitted
                  ? c.green('admitted')
                  : c.red(
                      `refused (${r.diagnostics?.filter((d) => d.severity === 'error').length ?? 0} problems)`,
                    ),
                r.createdAt,
                seconds(r.createdAt, r.convergedAt),
                seconds(r.committedAt, r.convergedAt),
                (r.message ?? (r.admitted ? '' : (r.diagnostics?.[0]?.summary ?? '')))
                  .split('\n')[0]
                  .slice(0, 60),
              ]),
              c,
            ),
          );
        }
        if (rollouts.length > 0) {
          o.out(c.bold('\nRollouts'));
          o.out(
            table(
              ['ROLLOUT', 'SOURCE', 'FROM', 'TO', 'PHASE', 'STARTED', 'FINISHED', 'REASON'],
              rollouts.map((r) => [
                r.id,
                r.source,
                r.from.slice(0, 12),
                r.to.slice(0, 12),
                r.phase === 'Completed'
                  ? c.green(r.phase)
                  : r.phase === 'RolledBack'
                    ? c.red(r.phase)
                    : r.phase,
                r.startedAt,
                r.finishedAt ?? '-',
                (r.reason ?? '').split('\n')[0].slice(0, 80),
              ]),
              c,
            ),
          );
        }
        if (h.runs.length > 0) {
          o.out(c.bold('\nRuns'));
          o.out(
            table(
              ['STARTED', 'COMMAND', 'REVISION', 'ACTOR', 'RESULT', 'CHANGED', 'FAILED', 'DURATION'],
              h.runs.map((r) => {
                const result =
                  r.result === 'succeeded'
                    ? c.green(r.result)
                    : r.result === 'running'
                      ? c.yellow(r.result)
                      : c.red(r.result);
                return [
                  r.startedAt,
                  r.command,
                  r.revisionId?.slice(0, 12) ?? '-',
                  r.actor,
                  result,
                  String(r.summary.changed ?? 0),
                  String(r.summary.failed ?? 0),
                  seconds(r.startedAt, r.finishedAt),
                ];
              }),
              c,
            ),
          );
        }
      }),
    );
}
