/** `setpoint rollout status|pause|resume|abort|promote`: a source's progressive rollout (docs/rollout.md). */
import type { Command } from 'commander';
import type { RolloutRecord } from '../../store/index.js';
import { EXIT, runClient } from '../context.js';
import { ago, table, type Output } from '../output.js';

/** One rollout as a few lines: phase, step, pins, the gate's last checks, why it stopped. */
export function describeRollout(r: RolloutRecord, o: Output): string[] {
  const c = o.colors;
  const color =
    r.phase === 'Completed'
      ? c.green
      : r.phase === 'RolledBack' || r.phase === 'Aborted'
        ? c.red
        : r.phase === 'Paused'
          ? c.yellow
          : (s: string) => s;
  const atNew = Object.values(r.pins).filter((rev) => rev === r.to).length;
  const step =
    r.step < r.steps.length
      ? `step ${r.step + 1} of ${r.steps.length} (${r.steps[r.step]})`
      : `all ${r.steps.length} steps done`;
  const lines = [
    `Rollout ${c.bold(r.id)} of source ${c.bold(r.source)}: ${r.from} -> ${r.to}  ${color(r.phase)}, ${step}`,
    `  ${atNew} of ${r.targets.length} targets at ${r.to}; started ${ago(r.startedAt)}${r.finishedAt ? `, finished ${ago(r.finishedAt)}` : ''} (last by ${r.actor})`,
  ];
  for (const g of r.gate ?? [])
    lines.push(`  ${g.ok ? c.green('pass') : c.red('fail')}  ${g.check}: ${g.message}`);
  if (r.approvalId && r.phase === 'Progressing')
    lines.push(`  waits for \`setpoint approve ${r.approvalId}\``);
  if (r.reason) lines.push(`  ${r.reason}`);
  return lines;
}

export function register(program: Command): void {
  const rollout = program
    .command('rollout')
    .description("a source's progressive rollout: its status, and pause, resume, abort or promote it");

  rollout
    .command('status')
    .description(
      'the latest rollout of each source with a strategy: phase, step, targets at the new revision, gate checks',
    )
    .option('--source <name>', 'one source (default: every source with a strategy)')
    .action((opts: { source?: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.rollouts(opts.source);
        if (o.json) {
          o.printJson(list);
          return;
        }
        if (list.length === 0) {
          o.out('No rollouts yet.');
          return;
        }
        for (const r of list) o.out(describeRollout(r, o).join('\n'));
        if (list.length > 1 && !opts.source)
          o.out(
            table(
              ['SOURCE', 'ROLLOUT', 'PHASE', 'STEP', 'REVISION'],
              list.map((r) => [
                r.source,
                r.id,
                r.phase,
                `${Math.min(r.step + 1, r.steps.length)}/${r.steps.length}`,
                r.to,
              ]),
            ),
          );
      }),
    );

  const verbs = {
    pause: 'stop advancing: targets keep the revision they run, gates are not judged',
    resume: 'go on from the step it was paused at',
    abort: 'roll every target back to the previous revision and pin the source there',
    promote: 'count the current step as done (its gate as passed) and go to the next one',
  } as const;
  for (const [verb, description] of Object.entries(verbs) as Array<[keyof typeof verbs, string]>)
    rollout
      .command(verb)
      .description(description)
      .option('--source <name>', 'the source (default: the only one with a strategy)')
      .action((opts: { source?: string }, cmd: Command) =>
        runClient(cmd, async (api, o) => {
          const r = await api.rolloutCommand(verb, opts.source);
          if (o.json) {
            o.printJson(r);
            return;
          }
          o.out(describeRollout(r, o).join('\n'));
          return EXIT.ok;
        }),
      );
}
