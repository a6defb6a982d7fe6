import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { run } from '../context.js';

export function register(program: Command): void {
  program
    .command('schema')
    .description('JSON Schema of a kind (or of every kind), for editors and CI')
    .argument('[kind]')
    .option('--list', 'list the kinds with a one-line description')
    .option('--out <dir>', 'write one <Kind>.json file per kind into this folder')
    .action((kind: string | undefined, opts: { list?: boolean; out?: string }, cmd: Command) =>
      run(cmd, async (api, o) => {
        if (opts.list) {
          const kinds = api.kinds();
          if (o.json) o.printJson(kinds);
          else for (const k of kinds) o.out(`${k.kind.padEnd(12)} ${k.description}`);
          return;
        }
        const schemas = api.schema(kind);
        if (opts.out) {
          mkdirSync(opts.out, { recursive: true });
          for (const [k, s] of Object.entries(schemas))
            writeFileSync(join(opts.out, `${k}.json`), JSON.stringify(s, null, 2) + '\n');
          o.err(`wrote ${Object.keys(schemas).length} schema file(s) to ${opts.out}`);
          return;
        }
        o.printJson(kind ? schemas[kind] : schemas);
      }),
    );
}
