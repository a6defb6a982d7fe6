import type { Command } from 'commander';
import jsyaml from 'js-yaml';
import { EXIT, runClient } from '../context.js';
import { healthColor, syncColor } from '../output.js';

export function register(program: Command): void {
  program
    .command('get')
    .description('the stored record of one resource (id: Kind/name or Kind/namespace/name)')
    .argument('<id>')
    .action((id: string, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const record = await api.get(id);
        if (!record) {
          if (o.json)
            o.printJson({
              error: { code: 'SETPOINT_NOT_FOUND', message: `no resource ${api.normalizeId(id)}` },
            });
          else
            o.err(
              o.colors.red(`error: no resource ${api.normalizeId(id)} in the state`) +
                '\n  hint: `setpoint status` lists them',
            );
          return EXIT.error;
        }
        if (o.json) {
          o.printJson(record);
          return;
        }
        const c = o.colors;
        o.out(`${c.bold(record.id)}  ${syncColor(c, record.sync)} ${healthColor(c, record.health)}`);
        o.out(
          jsyaml
            .dump({ ...record, id: undefined }, { skipInvalid: true, lineWidth: 120, noRefs: true })
            .trimEnd(),
        );
      }),
    );
}
