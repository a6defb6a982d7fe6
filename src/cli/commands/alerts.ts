/** `setpoint alerts`: alert incidents (firing, or all) and `alerts ack ID --actionable|--noise`. */
import type { Command } from 'commander';
import { SetpointError } from '../../errors.js';
import { runClient } from '../context.js';
import { ago, table, type Output } from '../output.js';
import type { AlertRecord } from '../../store/alerts.js';

function state(o: Output, a: AlertRecord): string {
  if (a.state === 'resolved') return o.colors.green(`resolved ${ago(a.resolvedAt)}`);
  if (a.suppressedBy) return o.colors.dim(`firing (${a.suppressedBy})`);
  return (a.severity === 'page' ? o.colors.red : o.colors.yellow)('firing');
}

function ackText(a: AlertRecord): string {
  if (!a.ack) return '-';
  return `${a.ack.actionable ? 'actionable' : 'noise'} (${a.ack.by})`;
}

export function register(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('alert incidents of serve: firing now (or --all), with severity, owner and acknowledgement')
    .option('-a, --all', 'resolved incidents too')
    .option('--since <time>', 'incidents that started at or after this ISO time')
    .option('-n, --limit <n>', 'at most N incidents (default 100)', (v) => Number(v))
    .action((opts: { all?: boolean; since?: string; limit?: number }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.alerts({ all: opts.all, since: opts.since, limit: opts.limit });
        if (o.json) {
          o.printJson(list);
          return;
        }
        if (list.length === 0) {
          o.out(opts.all ? 'No alerts recorded.' : 'No alerts firing.');
          return;
        }
        o.out(
          table(
            ['ID', 'SEVERITY', 'RULE', 'OWNER', 'STATE', 'SINCE', 'ACK', 'SUMMARY'],
            list.map((a) => [
              a.id,
              a.severity,
              a.rule,
              a.labels.owner ?? '-',
              state(o, a),
              ago(a.startsAt),
              ackText(a),
              a.annotations.summary ?? '',
            ]),
            o.colors,
          ),
        );
      }),
    );

  alerts
    .command('ack')
    .description('say whether an alert was worth attention: counts toward the alert-noise figure')
    .argument('<id>', 'incident id (or a unique prefix)')
    .option('--actionable', 'it needed someone to act')
    .option('--noise', 'it did not (a false alarm or nothing to do)')
    .option('-m, --comment <text>', 'why, for the audit log')
    .action((id: string, opts: { actionable?: boolean; noise?: boolean; comment?: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        if (Boolean(opts.actionable) === Boolean(opts.noise))
          throw new SetpointError(
            'give exactly one of --actionable or --noise',
            'SETPOINT_INVALID_ARGUMENT',
            'e.g. setpoint alerts ack 3f2a9c1e --noise -m "flapped during the deploy"',
          );
        const a = await api.ackAlert(id, { actionable: Boolean(opts.actionable), comment: opts.comment });
        if (o.json) o.printJson(a);
        else o.out(`alert ${a.id} (${a.rule}) acknowledged as ${a.ack?.actionable ? 'actionable' : 'noise'}`);
      }),
    );
}
