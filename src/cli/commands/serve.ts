import type { Command } from 'commander';
import { collect, parseDurationOption, parseIntOption, run } from '../context.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run continuously: watch manifests and targets, converge, repair drift within each resource\'s policy')
    .option('-f, --file <path>', 'manifest file or folder, watched (repeatable)', collect, [])
    .option('--resync <duration>', 'full resync period (default: setpoint.yaml reconcile.resync, else 5m)', parseDurationOption)
    .option('--workers <n>', 'resources reconciled at once (default 8)', parseIntOption)
    .action((opts: { file: string[]; resync?: number; workers?: number }, cmd: Command) =>
      run(cmd, async (api, o) => {
        // Logs go to stderr as JSON lines while serving (setpoint.log keeps one-shot runs).
        const { serve } = await api.serve({ paths: opts.file, resyncMs: opts.resync, workers: opts.workers });
        const s = serve.status();
        o.err(`setpoint serve: revision ${s.revision ?? '(none admitted)'}, watching ${s.watches} kind(s); Ctrl-C or SIGTERM to stop`);
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = (sig: string) => {
            if (stopping) return;
            stopping = true;
            o.err(`${sig}: finishing in-flight work…`);
            void serve.stop().then(resolve);
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
        o.err('setpoint serve stopped');
      }),
    );
}
