import type { Command } from 'commander';
import type { ApiServer } from '../../server/index.js';
import { InvalidArgumentError } from 'commander';
import { collect, parseDurationOption, parseIntOption, run } from '../context.js';

type LogFormat = 'pretty' | 'json' | 'none';

function parseLogFormat(value: string): LogFormat {
  if (value !== 'pretty' && value !== 'json' && value !== 'none')
    throw new InvalidArgumentError('expected pretty, json or none');
  return value;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      "run continuously: watch manifests and targets, converge, repair drift within each resource's policy",
    )
    .option('-f, --file <path>', 'manifest file or folder, watched (repeatable)', collect, [])
    .option(
      '--resync <duration>',
      'full resync period (default: setpoint.yaml reconcile.resync, else 5m)',
      parseDurationOption,
    )
    .option('--workers <n>', 'resources reconciled at once (default 8)', parseIntOption)
    .option(
      '--listen <host:port>',
      'HTTP API, probes and metrics address; port 0 picks a free one (default: server.listen, else 127.0.0.1:7420)',
    )
    .option('--no-listen', 'no HTTP server')
    .option(
      '--log-format <format>',
      'log lines on stderr too: pretty, json or none (default: pretty on a terminal, else none; the JSON log file is always written)',
      parseLogFormat,
    )
    .action(
      (
        opts: {
          file: string[];
          resync?: number;
          workers?: number;
          listen?: string | false;
          logFormat?: LogFormat;
        },
        cmd: Command,
      ) =>
        run(cmd, async (api, o) => {
          // The JSON log goes to setpoint.log; on a terminal it is mirrored to stderr in a readable form.
          const format = opts.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'none');
          const mirror =
            format === 'none'
              ? undefined
              : { format, colors: o.colors.isColorSupported && Boolean(process.stderr.isTTY) };
          const { serve, metrics } = await api.serve({
            paths: opts.file,
            resyncMs: opts.resync,
            workers: opts.workers,
            start: false,
            console: mirror,
          });
          // Runnables in order: HTTP first (probes answer while the rest starts), then the controller; stopped in reverse.
          const listen = opts.listen ?? api.settings.server.listen;
          let http: ApiServer | undefined;
          if (listen !== false) {
            const { startApiServer, ListenError } = await import('../../server/index.js');
            try {
              http = await startApiServer({ api, listen, serve, metrics, logger: api.logger });
              o.err(
                `setpoint serve: API on ${http.url} (GET /openapi.json; probes /healthz /readyz; /metrics)`,
              );
            } catch (err) {
              const explicit = opts.listen !== undefined || api.settings.server.listenExplicit;
              if (!(err instanceof ListenError) || explicit || err.reason !== 'EADDRINUSE') throw err;
              o.err(
                o.colors.yellow(`warning: ${err.message}; serving without the HTTP API`) +
                  `\n  hint: ${err.hint}`,
              );
            }
          }
          try {
            await serve.start();
          } catch (err) {
            await http?.close();
            throw err;
          }
          const s = serve.status();
          o.err(
            `setpoint serve: revision ${s.revision ?? '(none admitted)'}, watching ${s.watches} kind(s); Ctrl-C or SIGTERM to stop`,
          );
          await new Promise<void>((resolve) => {
            let stopping = false;
            const stop = (sig: string) => {
              if (stopping) return;
              stopping = true;
              o.err(`${sig}: finishing in-flight work…`);
              http?.drain();
              void serve
                .stop()
                .then(() => http?.close())
                .then(resolve);
            };
            process.once('SIGTERM', () => stop('SIGTERM'));
            process.once('SIGINT', () => stop('SIGINT'));
          });
          o.err('setpoint serve stopped');
        }),
    );
}
