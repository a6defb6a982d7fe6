import { resolve } from 'node:path';
import type { Command } from 'commander';
import { run } from '../context.js';

export function register(program: Command): void {
  const state = program
    .command('state')
    .description('the state store itself: migrate SQLite to PostgreSQL, back up and restore a SQLite state');

  state
    .command('migrate')
    .description(
      'copy this SQLite state (history, records, events, approvals, runs, the audit chain, tokens, alerts) into an empty PostgreSQL database and verify its audit chain there',
    )
    .requiredOption(
      '--to <url>',
      'the target: postgres://user@host:5432/db (password in PGPASSWORD or ~/.pgpass)',
    )
    .action((opts: { to: string }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const r = await api.migrateState(opts.to);
        if (o.json) {
          o.printJson(r);
          return;
        }
        o.out(`Copied ${r.from} into ${r.to}:`);
        for (const [table, n] of Object.entries(r.counts)) if (n > 0) o.out(`  ${table.padEnd(18)} ${n}`);
        o.out(
          o.colors.green(
            `audit chain verified in PostgreSQL: ${r.audit.entries} entries${r.audit.head ? `, head ${r.audit.head.slice(0, 12)}` : ''}`,
          ),
        );
        o.out(`Use it with --state ${r.to}, SETPOINT_STATE_URL, or state: in setpoint.yaml.`);
      }),
    );

  state
    .command('backup')
    .description(
      'write a consistent copy of the SQLite state to FILE, also while serve or apply runs (PostgreSQL: use pg_dump)',
    )
    .argument('<file>')
    .action((file: string, _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const r = await api.backupState(resolve(file));
        if (o.json) {
          o.printJson(r);
          return;
        }
        o.out(`Backed up ${r.state} to ${r.file} (${r.bytes} bytes).`);
      }),
    );

  state
    .command('restore')
    .description(
      'replace the SQLite state with a backup FILE; refused while a run holds the state lock (PostgreSQL: use pg_restore)',
    )
    .argument('<file>')
    .action((file: string, _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const r = await api.restoreState(resolve(file));
        if (o.json) {
          o.printJson(r);
          return;
        }
        o.out(`Restored ${r.state} from ${r.file}; the audit log has ${r.auditEntries} entries.`);
        if (r.previous) o.out(`The replaced state is kept at ${r.previous}.`);
      }),
    );
}
