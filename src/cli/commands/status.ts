import { InvalidArgumentError, type Command } from 'commander';
import { HEALTH_STATUSES, SYNC_STATUSES, type HealthStatus, type SyncStatus } from '../../health/index.js';
import { collect, run } from '../context.js';
import { ago, healthColor, syncColor, table } from '../output.js';

interface StatusOptions {
  kind?: string;
  namespace?: string;
  sync?: SyncStatus;
  health?: HealthStatus;
  label: string[];
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!values.includes(v as T)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return v as T;
  };
}

export function labelSelector(pairs: readonly string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`labels are key=value, got ${p}`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('status')
    .description('sync and health of every resource setpoint knows')
    .option('--kind <kind>', 'only this kind')
    .option('--namespace <ns>', 'only this namespace')
    .option('--sync <status>', `only this sync status (${SYNC_STATUSES.join(', ')})`, oneOf(SYNC_STATUSES))
    .option('--health <status>', `only this health (${HEALTH_STATUSES.join(', ')})`, oneOf(HEALTH_STATUSES))
    .option('-l, --label <key=value>', 'only resources with this label (repeatable)', collect, [])
    .action((opts: StatusOptions, cmd: Command) =>
      run(cmd, async (api, o) => {
        const status = await api.status({
          kind: opts.kind,
          namespace: opts.namespace,
          sync: opts.sync,
          health: opts.health,
          labels: labelSelector(opts.label),
        });
        if (o.json) {
          o.printJson(status);
          return;
        }
        const c = o.colors;
        if (status.resources.length === 0) {
          o.out('No resources recorded yet. Run `setpoint apply` first.');
          return;
        }
        const rows = status.resources.map((r) => [
          r.id,
          syncColor(c, r.sync),
          healthColor(c, r.health),
          r.lastAppliedRevision ? `${r.lastAppliedRevision.slice(0, 8)} ${ago(r.lastAppliedAt)}` : '-',
          r.driftedSince ? ago(r.driftedSince) : '-',
          r.lastError ? c.red(r.lastError.slice(0, 80)) : (r.healthMessage ?? ''),
        ]);
        o.out(table(['ID', 'SYNC', 'HEALTH', 'LAST APPLIED', 'DRIFTED SINCE', 'MESSAGE'], rows, c));
        const k = status.counts;
        o.out(
          c.dim(
            `\n${k.total} resources: ${Object.entries(k.bySync).map(([s, n]) => `${n} ${s}`).join(', ')}; ${Object.entries(k.byHealth).map(([s, n]) => `${n} ${s}`).join(', ')}.`,
          ),
        );
      }),
    );
}
