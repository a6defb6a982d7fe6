import type { Command } from 'commander';
import { parseIntOption, run } from '../context.js';
import { table } from '../output.js';

export function register(program: Command): void {
  program
    .command('history')
    .description('past runs and revisions: when, by whom, which revision, what changed')
    .option('-n, --limit <n>', 'how many (default 20)', parseIntOption, 20)
    .action((opts: { limit: number }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const h = await api.history(opts.limit);
        if (o.json) {
          o.printJson(h);
          return;
        }
        const c = o.colors;
        if (h.runs.length === 0) {
          o.out('No runs yet.');
          return;
        }
        const revisions = new Map(h.revisions.map((r) => [r.id, r]));
        o.out(
          table(
            ['STARTED', 'COMMAND', 'REVISION', 'ACTOR', 'RESULT', 'CHANGED', 'FAILED', 'DURATION', 'CONVERGED'],
            h.runs.map((r) => {
              const rev = r.revisionId ? revisions.get(r.revisionId) : undefined;
              const took = r.finishedAt ? `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(2)}s` : '-';
              const result = r.result === 'succeeded' ? c.green(r.result) : r.result === 'running' ? c.yellow(r.result) : c.red(r.result);
              return [r.startedAt, r.command, r.revisionId?.slice(0, 12) ?? '-', r.actor, result, String(r.summary.changed ?? 0), String(r.summary.failed ?? 0), took, rev?.convergedAt ?? '-'];
            }),
            c,
          ),
        );
      }),
    );
}
