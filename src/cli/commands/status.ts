import { InvalidArgumentError, type Command } from 'commander';
import { HEALTH_STATUSES, SYNC_STATUSES, type HealthStatus, type SyncStatus } from '../../health/index.js';
import { collect, runClient } from '../context.js';
import type { ConvergenceFigures } from '../../api/index.js';
import type { SetpointClient } from '../../client/types.js';
import type { ResourceFilter, ResourceRecord, RolloutRecord } from '../../store/index.js';
import { printNodeStatus } from '../node-views.js';
import { ago, healthColor, syncColor, table, type Output } from '../output.js';

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
    .option('-w, --watch', 'keep running and print every status change as it happens')
    .option('--node <name>', 'the resources this enrolled node reported')
    .option('--exit-code', 'exit 2 when a listed resource is drifted, failed, in conflict or blocked')
    .addHelpText(
      'after',
      '\nExamples:\n  setpoint status --namespace web\n  setpoint status --exit-code --json > status.json   # exit 2 on drift or failure\n  setpoint status --node web1   # what the enrolled node web1 reported',
    )
    .action((opts: StatusOptions & { watch?: boolean; exitCode?: boolean; node?: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        if (opts.node) return printNodeStatus(api, o, opts.node);
        const filter = {
          kind: opts.kind,
          namespace: opts.namespace,
          sync: opts.sync,
          health: opts.health,
          labels: labelSelector(opts.label),
        };
        if (opts.watch) return watchStatus(api, o, filter);
        const status = await api.status(filter);
        const figures = await api.convergence();
        const slos = await api.slos();
        const rollouts = await api.rollouts();
        const code = opts.exitCode && status.resources.some((r) => UNHEALTHY_SYNC.has(r.sync)) ? 2 : 0;
        if (o.json) {
          o.printJson({ ...status, convergence: figures, slos, rollouts });
          return code;
        }
        const c = o.colors;
        if (status.replica) o.out(`this replica: ${status.replica.name} (${status.replica.role})`);
        if (status.leader)
          o.out(
            `leader: ${status.leader.holder} (term ${status.leader.term}, lease until ${status.leader.expiresAt})`,
          );
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
          waitReason(r) ?? (r.lastError ? c.red(r.lastError.slice(0, 80)) : (r.healthMessage ?? '')),
        ]);
        o.out(table(['ID', 'SYNC', 'HEALTH', 'LAST APPLIED', 'DRIFTED SINCE', 'MESSAGE'], rows, c));
        const k = status.counts;
        printFigures(o, figures);
        // Error budgets of the SLOs in setpoint.yaml.
        if (slos.length) {
          const { describeSlo } = await import('../../telemetry/slo/status.js');
          o.out(c.dim('\n' + slos.map(describeSlo).join('\n')));
        }
        // The latest rollout of each source with a strategy.
        if (rollouts.length) o.out('\n' + rollouts.map(describeRollout).join('\n'));
        o.out(
          c.dim(
            `\n${k.total} resources: ${Object.entries(k.bySync)
              .map(([s, n]) => `${n} ${s}`)
              .join(', ')}; ${Object.entries(k.byHealth)
              .map(([s, n]) => `${n} ${s}`)
              .join(', ')}.`,
          ),
        );
        return code;
      }),
    );
}

/** What `--exit-code` counts as needing attention (Held and Pending are on purpose or on their way). */
const UNHEALTHY_SYNC = new Set<string>(['Drifted', 'Failed', 'Conflict', 'Blocked']);

/** Why a Held, Blocked or Conflict resource waits (e.g. the change window and until when), from its Synced condition. */
function waitReason(r: ResourceRecord): string | undefined {
  if (r.sync === 'Held' && r.held) return r.held.message;
  if (r.sync !== 'Blocked' && r.sync !== 'Conflict') return undefined;
  return r.conditions.find((c) => c.type === 'Synced' && c.status === 'False')?.message;
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : v < 1000 ? `${Math.round(v)}ms` : `${(v / 1000).toFixed(2)}s`;
}

function printFigures(o: Output, f: ConvergenceFigures): void {
  const c = o.colors;
  const last = f.revisions[0];
  const lines: string[] = [];
  if (last)
    lines.push(
      `revision ${last.id}: admitted ${ago(last.admittedAt)}, ${last.convergenceSeconds !== undefined ? `converged in ${last.convergenceSeconds.toFixed(2)}s` : 'not converged yet'}`,
    );
  if (f.driftEpisodes > 0)
    lines.push(
      `drift: ${f.driftEpisodes} episodes; detection p50 ${ms(f.detectionMs.p50)} p95 ${ms(f.detectionMs.p95)}; remediation p50 ${ms(f.remediationMs.p50)} p95 ${ms(f.remediationMs.p95)}; auto-remediated ${f.autoRemediationRatio === undefined ? '-' : `${Math.round(f.autoRemediationRatio * 100)}%`}`,
    );
  if (f.driftRatio !== undefined) lines.push(`drift ratio now: ${(f.driftRatio * 100).toFixed(1)}%`);
  if (lines.length) o.out(c.dim('\n' + lines.join('\n')));
}

/** Prints status changes as they happen: after each change the API reports (the store's change counter, or the server's stream). */
async function watchStatus(api: SetpointClient, o: Output, filter: ResourceFilter): Promise<number> {
  const seen = new Map<string, string>();
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  for await (const _ of api.changes(stop.signal)) {
    for (const r of (await api.status(filter)).resources) {
      const message = waitReason(r) ?? r.lastError ?? r.healthMessage;
      const line = `${r.sync} ${r.health} ${message ?? ''}`;
      if (seen.get(r.id) === line) continue;
      seen.set(r.id, line);
      if (o.json)
        o.out(
          JSON.stringify({
            time: new Date().toISOString(),
            id: r.id,
            sync: r.sync,
            health: r.health,
            message,
          }),
        );
      else
        o.out(
          `${new Date().toISOString()}  ${r.id}  ${syncColor(o.colors, r.sync)} ${healthColor(o.colors, r.health)}  ${message ?? ''}`,
        );
    }
  }
  return 0;
}

/** "rollout of app: Progressing at step 2 of 3 (gate 8s: health), revision a1b2c3d4 -> e5f6a7b8". */
export function describeRollout(r: RolloutRecord): string {
  const at =
    r.phase === 'Progressing' || r.phase === 'Paused'
      ? ` at step ${r.step + 1} of ${r.steps.length} (${r.steps[r.step]})`
      : '';
  return `rollout of ${r.source}: ${r.phase}${at}, revision ${r.from.slice(0, 8)} -> ${r.to.slice(0, 8)}${r.reason ? `: ${r.reason}` : ''}`;
}
