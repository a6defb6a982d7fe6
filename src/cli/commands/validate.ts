import type { Command } from 'commander';
import { printDiagnostics } from '../diagnostics.js';
import { count, printAuditViolations } from '../violations.js';
import { collect, EXIT, run } from '../context.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'check manifests (syntax, schemas, ids, dependencies, referenced files, policies) without touching any target',
    )
    .option('-f, --file <path>', 'manifest file or folder, walked recursively (repeatable)', collect, [])
    .action((opts: { file: string[] }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const result = await api.validate(opts.file);
        const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
        if (o.json)
          o.printJson({
            valid: errors === 0,
            resources: result.resources,
            policies: result.policies,
            violations: result.violations,
            diagnostics: result.diagnostics,
          });
        else {
          printDiagnostics(o, result.diagnostics);
          printAuditViolations(o, result.violations);
          const policies = result.policies > 0 ? `, ${count(result.policies, 'policy', 'policies')}` : '';
          if (errors === 0)
            o.out(o.colors.green(`Valid: ${count(result.resources, 'resource')}${policies}.`));
        }
        return errors > 0 ? EXIT.error : EXIT.ok;
      }),
    );
}
