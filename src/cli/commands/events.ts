import type { Command } from 'commander';
import { parseIntOption, runClient } from '../context.js';
import { table } from '../output.js';

export function register(program: Command): void {
  program
    .command('events')
    .description('recent events, of all resources or of one')
    .argument('[id]')
    .option('-n, --limit <n>', 'how many (default 50)', parseIntOption, 50)
    .action((id: string | undefined, opts: { limit: number }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const events = await api.events(id, opts.limit);
        if (o.json) {
          o.printJson(events);
          return;
        }
        if (events.length === 0) {
          o.out('No events.');
          return;
        }
        const c = o.colors;
        o.out(
          table(
            ['TIME', 'TYPE', 'REASON', 'RESOURCE', 'REVISION', 'MESSAGE'],
            events.map((e) => [
              e.time,
              e.type === 'Warning' ? c.yellow(e.type) : e.type,
              e.reason,
              e.resourceId ?? '-',
              e.revisionId?.slice(0, 8) ?? '-',
              e.message.split('\n')[0],
            ]),
            c,
          ),
        );
      }),
    );
}
