/** `setpoint silence create|list|expire`: maintenance silences that hold back alert notifications. */
import type { Command } from 'commander';
import { collect, parseDurationOption, runClient } from '../context.js';
import { ago, table } from '../output.js';
import { formatMatcher } from '../../telemetry/alerts/labels.js';

export function register(program: Command): void {
  const silence = program
    .command('silence')
    .description('maintenance silences: no notifications for matching alerts (they are still recorded)');

  silence
    .command('create')
    .description('silence alerts whose labels match every matcher, for a while')
    .requiredOption(
      '--matcher <m>',
      'label matcher: owner=team-web, alertname!=ApprovalPending, resource=~"File/web/.*" (repeatable)',
      collect,
      [],
    )
    .requiredOption('--duration <duration>', 'how long, e.g. 2h', parseDurationOption)
    .requiredOption('--comment <text>', 'why (shown in `silence list` and the audit log)')
    .action((opts: { matcher: string[]; duration: number; comment: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const s = await api.createSilence({
          matchers: opts.matcher,
          durationMs: opts.duration,
          comment: opts.comment,
        });
        if (o.json) o.printJson(s);
        else o.out(`silence ${s.id}: ${s.matchers.map(formatMatcher).join(', ')} until ${s.endsAt}`);
      }),
    );

  silence
    .command('list')
    .description('silences in force or pending (--all: expired ones too)')
    .option('-a, --all', 'expired silences too')
    .action((opts: { all?: boolean }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.silences({ all: opts.all });
        if (o.json) {
          o.printJson(list);
          return;
        }
        if (list.length === 0) {
          o.out('No silences.');
          return;
        }
        o.out(
          table(
            ['ID', 'MATCHERS', 'STATE', 'ENDS', 'BY', 'COMMENT'],
            list.map((s) => [
              s.id,
              s.matchers.map(formatMatcher).join(', '),
              s.state,
              s.endsAt,
              s.createdBy + (s.expiredBy ? ` (expired by ${s.expiredBy} ${ago(s.endsAt)})` : ''),
              s.comment,
            ]),
            o.colors,
          ),
        );
      }),
    );

  silence
    .command('expire')
    .description('end a silence now')
    .argument('<id>', 'silence id (or a unique prefix)')
    .action((id: string, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const s = await api.expireSilence(id);
        if (o.json) o.printJson(s);
        else o.out(`silence ${s.id} expired`);
      }),
    );
}
