import type { Command } from 'commander';
import jsyaml from 'js-yaml';
import { printDiagnostics } from '../diagnostics.js';
import { collect, EXIT, runClient } from '../context.js';
import { printNodeDescribe } from '../node-views.js';
import { ago, healthColor, syncColor, table } from '../output.js';
import { changesJson, renderChange } from '../render-plan.js';

export function register(program: Command): void {
  program
    .command('describe')
    .description(
      'one resource in full: desired, actual (observed now), the diff, conditions and recent events',
    )
    .argument('<id>')
    .option('-f, --file <path>', 'manifest file or folder (repeatable)', collect, [])
    .option('--node <name>', 'the resource as this enrolled node has it')
    .action((id: string, opts: { file: string[]; node?: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        if (opts.node) return printNodeDescribe(api, o, opts.node, id);
        const d = await api.describe(id, opts.file);
        if (!d.record && d.desired === undefined) {
          if (o.json) o.printJson({ error: { code: 'SETPOINT_NOT_FOUND', message: `no resource ${d.id}` } });
          else o.err(o.colors.red(`error: ${d.id} is neither declared nor in the state`));
          return EXIT.error;
        }
        if (o.json) {
          o.printJson({ ...d, changes: await changesJson(d.changes) });
          return;
        }
        const c = o.colors;
        const r = d.record;
        const dump = (v: unknown) =>
          jsyaml
            .dump(v, { skipInvalid: true, lineWidth: 120, noRefs: true })
            .trimEnd()
            .split('\n')
            .map((l) => '  ' + l)
            .join('\n');
        o.out(`${c.bold('Resource:')}  ${d.id}`);
        if (r) {
          o.out(
            `${c.bold('Sync:')}      ${syncColor(c, r.sync)}${r.driftedSince ? `  (drifted since ${r.driftedSince})` : ''}`,
          );
          o.out(
            `${c.bold('Health:')}    ${healthColor(c, r.health)}${r.healthMessage ? `  ${r.healthMessage}` : ''}`,
          );
          o.out(`${c.bold('Source:')}    ${r.source}${r.origin ? `  (${r.origin})` : ''}`);
          o.out(
            `${c.bold('Applied:')}   ${r.lastAppliedRevision ? `revision ${r.lastAppliedRevision} ${ago(r.lastAppliedAt)}` : 'never'}`,
          );
          if (r.lastError) o.out(`${c.bold('Error:')}     ${c.red(r.lastError)}`);
        }
        o.out(`${c.bold('Desired:')}\n${dump(d.desired ?? r?.spec)}`);
        o.out(
          `${c.bold('Actual:')}${d.unknown ? '  (unknown: a secret it needs does not resolve)' : d.exists ? '\n' + dump(d.actual) : '  (absent)'}`,
        );
        if (d.changes.length) {
          o.out(c.bold('Diff:'));
          for (const ch of d.changes) o.out((await renderChange(ch, 'drift', c, '  ')).join('\n'));
        } else o.out(`${c.bold('Diff:')}      ${c.green('none')}`);
        if (r?.conditions.length) {
          o.out(c.bold('Conditions:'));
          o.out(
            table(
              ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
              r.conditions.map((x) => [x.type, x.status, x.reason, ago(x.since), x.message]),
            )
              .split('\n')
              .map((l) => '  ' + l)
              .join('\n'),
          );
        }
        o.out(c.bold('Events:'));
        if (d.events.length === 0) o.out('  none');
        else
          o.out(
            table(
              ['TIME', 'TYPE', 'REASON', 'MESSAGE'],
              d.events.map((e) => [ago(e.time), e.type, e.reason, e.message.split('\n')[0]]),
            )
              .split('\n')
              .map((l) => '  ' + l)
              .join('\n'),
          );
        printDiagnostics(o, d.diagnostics);
      }),
    );
}
