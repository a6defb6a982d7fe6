import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { SCHEMA_FILES } from '../../api/schema-files.js';
import { run } from '../context.js';

interface SchemaOptions {
  list?: boolean;
  out?: string;
  all?: boolean;
  manifest?: boolean;
  settings?: boolean;
}

export function register(program: Command): void {
  program
    .command('schema')
    .description('JSON Schemas of manifests (per kind or any kind) and of setpoint.yaml, for editors and CI')
    .argument('[kind]')
    .option('--list', 'list the kinds with a one-line description')
    .option(
      '--manifest',
      `the schema of any manifest document, every kind chosen by "kind" (${SCHEMA_FILES.manifest})`,
    )
    .option('--settings', `the schema of setpoint.yaml (${SCHEMA_FILES.settings})`)
    .option(
      '--all',
      'every schema: any manifest document, setpoint.yaml and one per kind (as one JSON object by file name, or files with --out)',
    )
    .option(
      '--out <dir>',
      'write the schemas as files into this folder (<Kind>.json per kind; with --all, every file)',
    )
    .addHelpText(
      'after',
      `
Examples:
  setpoint schema --list
  setpoint schema File
  setpoint schema --all --out schemas      # refresh the schemas init wrote (after an upgrade, or with plug-in kinds)`,
    )
    .action((kind: string | undefined, opts: SchemaOptions, cmd: Command) =>
      run(cmd, async (api, o) => {
        if (opts.list) {
          const kinds = api.kinds();
          if (o.json) o.printJson(kinds);
          else for (const k of kinds) o.out(`${k.kind.padEnd(12)} ${k.description}`);
          return;
        }
        let files: Record<string, unknown>;
        if (opts.all) files = api.schemaFiles();
        else if (opts.manifest || opts.settings) {
          const all = api.schemaFiles();
          const name = opts.manifest ? SCHEMA_FILES.manifest : SCHEMA_FILES.settings;
          files = { [name]: all[name] };
        } else files = Object.fromEntries(Object.entries(api.schema(kind)).map(([k, s]) => [`${k}.json`, s]));
        if (opts.out) {
          for (const [name, s] of Object.entries(files)) {
            const path = join(opts.out, name);
            mkdirSync(dirname(path), { recursive: true });
            writeFileSync(path, JSON.stringify(s, null, 2) + '\n');
          }
          o.err(`wrote ${Object.keys(files).length} schema file(s) to ${opts.out}`);
          return;
        }
        if (opts.all) o.printJson(files);
        else if (opts.manifest || opts.settings || kind) o.printJson(Object.values(files)[0]);
        else o.printJson(api.schema());
      }),
    );
}
