import type { Command } from 'commander';
import { hasChanges } from '../../plan/index.js';
import { printDiagnostics } from '../diagnostics.js';
import { printAuditViolations } from '../violations.js';
import { collect, EXIT, run, runClient } from '../context.js';
import { printNodePlan } from '../node-views.js';
import { planJson, renderPlan } from '../render-plan.js';
import { savePlan } from '../saved-plan.js';

export interface PlanOptions {
  file: string[];
  target: string[];
  prune?: boolean;
}

export function planOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'manifest file or folder, walked recursively (repeatable)', collect, [])
    .option('--target <id>', 'only this resource and what it depends on (repeatable)', collect, [])
    .option('--prune', 'delete resources applied earlier that are no longer declared');
}

export function register(program: Command): void {
  planOptions(program.command('plan').description('show what apply would change, field by field'))
    .option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes, 1 on error')
    .option('--node <name>', 'what this enrolled node would get: its set against what its agent reported')
    .option('-o, --out <file>', 'save the plan for `setpoint apply FILE` (also spelled -out FILE)')
    .addHelpText(
      'after',
      '\nExamples:\n  setpoint plan\n  setpoint plan --detailed-exitcode --json > plan.json\n  setpoint plan -out release.plan && setpoint apply release.plan\n  setpoint plan --node web1   # what the enrolled node web1 would get',
    )
    .action(
      (opts: PlanOptions & { detailedExitcode?: boolean; out?: string; node?: string }, cmd: Command) =>
        opts.node
          ? runClient(cmd, (api, o) => printNodePlan(api, o, opts.node!, opts.detailedExitcode))
          : run(cmd, async (api, o) => {
              const planned = await api.plan({
                paths: opts.file,
                targets: opts.target,
                prune: opts.prune,
              });
              const { plan, desired } = planned;
              const failed = plan.diagnostics.some((d) => d.severity === 'error');
              if (opts.out && !failed) {
                await savePlan(opts.out, planned, {
                  paths: opts.file,
                  targets: opts.target,
                  prune: Boolean(opts.prune),
                });
                if (!o.json)
                  o.err(
                    o.colors.dim(
                      `Saved the plan to ${opts.out}: apply it with \`setpoint apply ${opts.out}\`.`,
                    ),
                  );
              }
              if (o.json) o.printJson(await planJson(plan));
              else {
                printDiagnostics(o, plan.diagnostics);
                printAuditViolations(o, desired.violations);
                if (!failed) o.out(await renderPlan(plan, o.colors));
              }
              if (failed) return EXIT.error;
              return opts.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
            }),
    );
}
