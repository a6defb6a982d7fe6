import type { Command } from 'commander';
import { printDiagnostics } from '../diagnostics.js';
import { collect, EXIT, run } from '../context.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check manifests (syntax, schemas, ids, dependencies, referenced files) without touching any target')
    .option('-f, --file <path>', 'manifest file or folder, walked recursively (repeatable)', collect, [])
    .action((opts: { file: string[] }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const result = await api.validate(opts.file);
        const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
        if (o.json) o.printJson({ valid: errors === 0, resources: result.resources, diagnostics: result.diagnostics });
        else {
          printDiagnostics(o, result.diagnostics);
          if (errors === 0) o.out(o.colors.green(`Valid: ${result.resources} resource${result.resources === 1 ? '' : 's'}.`));
        }
        return errors > 0 ? EXIT.error : EXIT.ok;
      }),
    );
}
