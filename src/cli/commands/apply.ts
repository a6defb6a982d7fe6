import type { Command } from 'commander';
import { OP_GLYPH, hasChanges } from '../../plan/index.js';
import { formatDuration } from '../../util/duration-text.js';
import { printDiagnostics } from '../diagnostics.js';
import { SetpointError } from '../../errors.js';
import { EXIT, parseDurationOption, parseIntOption, run } from '../context.js';
import { Progress } from '../progress.js';
import { confirm } from '../prompt.js';
import { applyJson, glyphColor, renderPlan } from '../render-plan.js';
import { checkSavedPlan, readSavedPlan } from '../saved-plan.js';
import { planOptions, type PlanOptions } from './plan.js';

export function register(program: Command): void {
  planOptions(
    program
      .command('apply')
      .description('converge the actual state to the manifests, in dependency order')
      .argument(
        '[planfile]',
        'a plan saved by `setpoint plan -out FILE`: applied as reviewed, refused if anything moved',
      ),
  )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-q, --quiet', 'no per-action lines and no progress bar: only the summary and errors')
    .addHelpText(
      'after',
      '\nExamples:\n  setpoint apply\n  setpoint apply --yes > apply.log        # the progress bar stays on the terminal (stderr)\n  setpoint plan -out release.plan && setpoint apply release.plan',
    )
    .option(
      '--parallelism <n>',
      'actions in flight at once (default: setpoint.yaml, else 64)',
      parseIntOption,
    )
    .option('--override-window', 'act even inside a deny change window (audited)')
    .option(
      '--lock-timeout <duration>',
      'wait this long for another run to release the state lock',
      parseDurationOption,
      0,
    )
    .action(
      (
        planFile: string | undefined,
        opts: PlanOptions & {
          yes?: boolean;
          quiet?: boolean;
          parallelism?: number;
          lockTimeout: number;
          overrideWindow?: boolean;
        },
        cmd: Command,
      ) =>
        run(cmd, async (api, o) => {
          const lock = await api.lock(opts.lockTimeout);
          try {
            const saved = planFile ? readSavedPlan(planFile) : undefined;
            const request = saved
              ? { paths: saved.request.paths, targets: saved.request.targets, prune: saved.request.prune }
              : { paths: opts.file, targets: opts.target, prune: opts.prune };
            const planned = await api.plan(request);
            // A saved plan is applied only as it was reviewed.
            if (saved) await checkSavedPlan(planFile!, saved, planned);
            const { plan } = planned;
            // Refused (and audited) before asking: plan errors, too many deletes.
            try {
              await api.admitPlan(planned);
            } catch (err) {
              if (!(err instanceof SetpointError) || err.code !== 'SETPOINT_PLAN_INVALID') throw err;
              if (o.json) o.printJson({ applied: false, diagnostics: err.diagnostics });
              else {
                printDiagnostics(o, err.diagnostics);
                o.err(o.colors.red(`error: ${err.message}`));
              }
              return EXIT.error;
            }
            if (!o.json) printDiagnostics(o, plan.diagnostics);
            if (hasChanges(plan) && !opts.yes && !saved) {
              if (!process.stdin.isTTY) {
                o.err(o.colors.red('error: apply needs confirmation, and standard input is not a terminal'));
                o.err('  hint: pass --yes to apply without asking');
                return EXIT.error;
              }
              o.out(await renderPlan(plan, o.colors));
              o.out();
              if (!(await confirm('Do you want to perform these actions? Only "yes" will be accepted: '))) {
                o.err('Apply cancelled; nothing was changed.');
                return EXIT.error;
              }
            }

            const abort = new AbortController();
            const onSignal = (sig: string) => {
              if (abort.signal.aborted) process.exit(130);
              o.err(`\n${sig}: finishing actions in flight, starting no new ones (again to quit at once)`);
              abort.abort();
            };
            const onInt = () => onSignal('SIGINT');
            const onTerm = () => onSignal('SIGTERM');
            process.on('SIGINT', onInt);
            process.on('SIGTERM', onTerm);

            const total = plan.actions.filter((a) => a.op !== 'noop').length;
            // The bar is drawn on stderr: `apply > log` keeps it on the terminal.
            const progress = new Progress(total, Boolean(process.stderr.isTTY) && !o.json && !opts.quiet);
            const report = await api.apply(planned, {
              parallelism: opts.parallelism,
              // A lost state lock stops the run too: no new action starts.
              signal: AbortSignal.any([abort.signal, lock.signal]),
              overrideWindow: opts.overrideWindow,
              onStart: (a) => progress.start(a.id),
              onDone: (outcome) => {
                progress.tick();
                if (o.json || (opts.quiet && outcome.status !== 'failed')) return;
                const { action, status, message, durationMs } = outcome;
                const c = o.colors;
                const took = c.dim(`(${formatDuration(durationMs)})`);
                if (status === 'succeeded')
                  progress.line(
                    `${glyphColor(c, action.op)(OP_GLYPH[action.op])} ${action.id}: ${message} ${took}`,
                  );
                else if (status === 'failed')
                  progress.line(c.red(`✗ ${action.id}: ${action.op} failed: ${message}`));
                else progress.line(c.dim(`· ${action.id}: ${message}`));
              },
            });
            progress.finish();
            lock.throwIfLost();
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);

            const k = report.counts;
            if (o.json) o.printJson(await applyJson(report));
            else {
              const failed = k.failed + k.skipped > 0;
              const head =
                report.result === 'interrupted'
                  ? 'Apply interrupted.'
                  : failed
                    ? 'Apply finished with errors.'
                    : 'Apply complete.';
              const line = `${head} changed: ${report.changed} (created ${k.created}, updated ${k.updated}, replaced ${k.replaced}, deleted ${k.deleted}), failed: ${k.failed}, skipped: ${k.skipped}, in sync: ${k.unchanged}, in ${formatDuration(report.durationMs)}.`;
              o.out(failed || report.result === 'interrupted' ? o.colors.red(line) : o.colors.green(line));
            }
            return report.result === 'succeeded' ? EXIT.ok : EXIT.error;
          } catch (err) {
            // A run that lost the lock fails with that, whatever write failed first.
            lock.throwIfLost();
            throw err;
          } finally {
            await lock.release();
          }
        }),
    );
}
