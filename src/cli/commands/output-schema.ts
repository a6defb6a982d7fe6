/** `setpoint output-schema [NAME]`: the JSON Schema of a `--json` document (plan, apply, status…), for scripts and CI. */
import type { Command } from 'commander';
import { EXIT } from '../context.js';
import { createOutput } from '../output.js';

export function register(program: Command): void {
  program
    .command('output-schema')
    .description('JSON Schema of the --json output of a command (without a name: the list)')
    .argument('[name]', 'a document (plan, apply, status...); without one, the list')
    .addHelpText(
      'after',
      '\nExamples:\n  setpoint output-schema\n  setpoint output-schema plan > plan.schema.json',
    )
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      // The API's contract (every schema) is loaded only here, not by every command (the agent).
      const { OUTPUT_DOCUMENTS, outputSchema } = await import('../../api/contract.js');
      const g = cmd.optsWithGlobals<{ color?: boolean }>();
      const o = createOutput({ json: true, color: g.color });
      if (!name) {
        for (const [n, s] of Object.entries(OUTPUT_DOCUMENTS))
          o.out(`${n.padEnd(12)} ${s.description ?? ''}`);
        return;
      }
      const schema = outputSchema(name);
      if (!schema) {
        o.err(`error: no output document ${name}`);
        o.err(`  hint: one of ${Object.keys(OUTPUT_DOCUMENTS).join(', ')}`);
        process.exitCode = EXIT.error;
        return;
      }
      o.printJson(schema);
    });
}
