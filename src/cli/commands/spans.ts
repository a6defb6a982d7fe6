/** `setpoint spans ID`: a resource's recent reconciles under serve, with the time each phase took. */
import type { Command } from 'commander';
import { parseIntOption, runClient } from '../context.js';
import { table } from '../output.js';

/** Below a millisecond in microseconds: most phases of a file are that fast. */
function dur(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${ms.toFixed(1)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

export function register(program: Command): void {
  program
    .command('spans')
    .description(
      "a resource's recent reconciles under serve: outcome, duration of each phase (observe, diff, plan, act, verify), revision, trace id",
    )
    .argument('<id>', 'Kind/name or Kind/namespace/name')
    .option('-n, --limit <n>', 'how many, newest first (default 20, at most 50 are kept)', parseIntOption, 20)
    .action((id: string, opts: { limit: number }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const spans = await api.spans(id, { limit: opts.limit });
        if (o.json) {
          o.printJson({ id: api.normalizeId(id), items: spans });
          return;
        }
        if (spans.length === 0) {
          o.out(`No reconcile of ${api.normalizeId(id)} recorded (serve records them).`);
          return;
        }
        const c = o.colors;
        o.out(
          table(
            ['STARTED', 'OUTCOME', 'ACTION', 'TOTAL', 'PHASES', 'REVISION', 'TRACE'],
            spans.map((s) => [
              s.startedAt,
              s.outcome === 'error' || s.outcome === 'terminal' ? c.red(s.outcome) : s.outcome,
              s.action ?? '-',
              dur(s.durationMs),
              s.phases.map((p) => `${p.name} ${dur(p.durationMs)}${p.error ? '!' : ''}`).join(' '),
              s.revisionId?.slice(0, 8) ?? '-',
              s.traceId ?? `log ${s.reconcileId}`,
            ]),
            c,
          ),
        );
      }),
    );
}
