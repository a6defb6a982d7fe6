import type { Command } from 'commander';
import { SetpointError } from '../../errors.js';
import { lookupFact } from '../../facts/index.js';
import { run } from '../context.js';

export function register(program: Command): void {
  program
    .command('facts')
    .description('what setpoint knows of this host (${facts.*} in manifests and templates)')
    .argument('[name]', 'one fact by its dotted name, e.g. os.family')
    .action((name: string | undefined, _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const all = api.facts();
        const value = name === undefined ? all : lookupFact(all, name);
        if (value === undefined)
          throw new SetpointError(`unknown fact "${name}"`, 'SETPOINT_FACT_UNDEFINED', {
            hint: 'run `setpoint facts` to list every fact',
          });
        if (o.json) return o.printJson(value);
        if (value === null || typeof value !== 'object') return o.out(scalar(value));
        const rows = flatten(value, name ?? '');
        const width = Math.max(...rows.map(([k]) => k.length));
        for (const [k, v] of rows) o.out(`${k.padEnd(width)}  ${v}`);
      }),
    );
}

/** `[dotted.name, value]` rows of every leaf, in the facts' own order. */
function flatten(value: unknown, prefix: string): Array<[string, string]> {
  if (value === null || typeof value !== 'object') return [[prefix, scalar(value)]];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [[prefix, Array.isArray(value) ? '[]' : '{}']];
  return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
