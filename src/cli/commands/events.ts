import type { Command } from 'commander';
import { parseIntOption, runClient } from '../context.js';
import { eventsTable } from '../node-views.js';

export function register(program: Command): void {
  program
    .command('events')
    .description('recent events, of all resources or of one')
    .argument('[id]')
    .option('-n, --limit <n>', 'how many (default 50)', parseIntOption, 50)
    .option('--node <name>', 'the events this enrolled node reported')
    .action((id: string | undefined, opts: { limit: number; node?: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const events = opts.node
          ? await api.nodeEvents(opts.node, id, opts.limit)
          : await api.events(id, opts.limit);
        if (o.json) {
          o.printJson(events);
          return;
        }
        if (events.length === 0) {
          o.out('No events.');
          return;
        }
        o.out(eventsTable(o, events));
      }),
    );
}
