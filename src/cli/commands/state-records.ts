/**
 * `setpoint state list|show|rm|mv|import`: read and edit the state's
 * resource records without touching any target (as `terraform state` does).
 * Edits take the state lock, and each is audited. The `state` group may hold
 * other subcommands (backups, migrations) registered by other files.
 */
import type { Command } from 'commander';
import type { ResourceRecord } from '../../store/index.js';
import { collect, EXIT, run } from '../context.js';
import { syncColor, table } from '../output.js';

/** The `state` command group, created by whichever file registers first. */
export function stateGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'state') ??
    program.command('state').description('read and edit the state store (records, without touching targets)')
  );
}

export function register(program: Command): void {
  const state = stateGroup(program);
  registerPrune(state);

  state
    .command('list')
    .description('every resource in the state: id, sync, managed, source')
    .option('--kind <kind>', 'only this kind')
    .option('--namespace <ns>', 'only this namespace')
    .addHelpText('after', '\nExamples:\n  setpoint state list\n  setpoint state list --kind File --json')
    .action((opts: { kind?: string; namespace?: string }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const { resources } = await api.status({ kind: opts.kind, namespace: opts.namespace });
        if (o.json) {
          o.printJson({ items: resources.map(summary) });
          return;
        }
        if (resources.length === 0) return o.out('The state holds no resources.');
        o.out(
          table(
            ['ID', 'SYNC', 'MANAGED', 'SOURCE'],
            resources.map((r) => [r.id, syncColor(o.colors, r.sync), r.managed ? 'yes' : 'no', r.source]),
            o.colors,
          ),
        );
      }),
    );

  state
    .command('show')
    .description('the whole record of one resource, as stored')
    .argument('<id>', 'Kind/name or Kind/namespace/name')
    .addHelpText('after', '\nExamples:\n  setpoint state show File/motd')
    .action((id: string, _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const record = await api.get(id);
        if (!record) {
          o.err(o.colors.red(`error: no resource ${api.normalizeId(id)} in the state`));
          o.err('  hint: `setpoint state list` lists them');
          return EXIT.error;
        }
        if (o.json) o.printJson({ record });
        else o.out(JSON.stringify(record, null, 2));
      }),
    );

  state
    .command('rm')
    .description('forget resources: setpoint stops managing them; the targets are left as they are')
    .argument('<id...>', 'Kind/name or Kind/namespace/name')
    .addHelpText(
      'after',
      '\nExamples:\n  setpoint state rm File/motd\n  setpoint state rm File/web/a File/web/b',
    )
    .action((ids: string[], _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const lock = await api.lock(0, 'state rm');
        try {
          const removed: ResourceRecord[] = [];
          for (const id of ids) removed.push(await api.forget(id));
          if (o.json) o.printJson({ removed: removed.map((r) => r.id) });
          else
            for (const r of removed) o.out(`Removed ${r.id} from the state (the target was left as it is).`);
        } finally {
          await lock.release();
        }
      }),
    );

  state
    .command('mv')
    .description('move a record to another id of its kind (after a rename: no destroy and create)')
    .argument('<from>', 'the id in the state')
    .argument('<to>', 'the new id')
    .addHelpText('after', '\nExamples:\n  setpoint state mv File/web/motd File/web/banner')
    .action((from: string, to: string, _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const lock = await api.lock(0, 'state mv');
        try {
          const moved = await api.moveRecord(from, to);
          if (o.json) o.printJson({ from: api.normalizeId(from), to: moved.id });
          else o.out(`Moved ${api.normalizeId(from)} to ${moved.id}.`);
        } finally {
          await lock.release();
        }
      }),
    );

  state
    .command('import')
    .description('adopt a target that exists: observe it and record the declared resource as managed')
    .argument('<id>', 'a resource declared in the manifests')
    .option('-f, --file <path>', 'manifest file or folder (repeatable)', collect, [])
    .addHelpText(
      'after',
      '\nExamples:\n  setpoint state import File/etc/motd\n  setpoint plan   # shows what differs, if anything',
    )
    .action((id: string, opts: { file: string[] }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const lock = await api.lock(0, 'state import');
        try {
          const record = await api.importResource(id, opts.file);
          if (o.json) o.printJson({ imported: record.id, sync: record.sync, drift: record.drift ?? [] });
          else
            o.out(
              record.sync === 'InSync'
                ? `Imported ${record.id}: managed now, and in sync.`
                : `Imported ${record.id}: managed now; ${record.drift?.length ?? 0} field(s) differ (\`setpoint plan\` shows them).`,
            );
        } finally {
          await lock.release();
        }
      }),
    );
}

/** `state prune`: the retention settings, enforced once (serve does it every retention.interval). */
function registerPrune(state: Command): void {
  state
    .command('prune')
    .description(
      'delete events, runs, resolved alerts and SLI samples older than setpoint.yaml `retention` (the audit log is kept)',
    )
    .addHelpText('after', '\nExamples:\n  setpoint state prune\n  setpoint state prune --json')
    .action((_opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const { deleted, cutoffs } = await api.prune();
        if (o.json) return void o.printJson({ deleted, cutoffs });
        const total = Object.values(deleted).reduce((a, b) => a + b, 0);
        o.out(
          total === 0
            ? 'Nothing older than the retention settings.'
            : `Deleted ${Object.entries(deleted)
                .filter(([, n]) => n > 0)
                .map(([k, n]) => `${n} ${k}`)
                .join(', ')}.`,
        );
      }),
    );
}

function summary(r: ResourceRecord) {
  return { id: r.id, kind: r.kind, sync: r.sync, health: r.health, managed: r.managed, source: r.source };
}
