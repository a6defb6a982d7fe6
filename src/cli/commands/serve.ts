import type { Command } from 'commander';
import type { ApiServer } from '../../server/index.js';
import { InvalidArgumentError } from 'commander';
import type { Runnable } from '../../engine/controller/manager.js';
import { collect, EXIT, parseDurationOption, parseIntOption, run } from '../context.js';

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
      '--grace <duration>',
      'how long stopping (SIGTERM, Ctrl-C) may take before serve exits anyway (default 30s)',
      parseDurationOption,
    )
    .option(
      '--lease-ttl <duration>',
      'leader lease time to live when several serve replicas share the state; renewed every third of it (default: SETPOINT_LOCK_TTL_MS, else 15s)',
      parseDurationOption,
    )
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
          grace?: number;
          leaseTtl?: number;
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
            leaseTtlMs: opts.leaseTtl,
          });
          // logrotate: `kill -HUP` makes serve reopen its log file.
          const { reopenOnHangup } = await import('../../telemetry/log.js');
          reopenOnHangup(api.logger);
          const listen = opts.listen ?? api.settings.server.listen;
          let http: ApiServer | undefined;
          // HTTP (probes, metrics, the API) starts right after span export and stops last (manager.ts).
          const httpRunnable: Runnable | undefined =
            listen === false
              ? undefined
              : {
                  name: 'http',
                  start: async () => {
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
                  },
                  drain: () => http?.drain(),
                  stop: () => http?.close(),
                };
          const manager = serve.manager({ http: httpRunnable, graceMs: opts.grace });
          await manager.start();
          const s = serve.status();
          const role = s.leadership;
          if (role.role === 'leader')
            o.err(
              `setpoint serve: revision ${s.revision ?? '(none admitted)'}, watching ${s.watches} kind(s); Ctrl-C or SIGTERM to stop`,
            );
          else
            o.err(
              `setpoint serve: follower (${role.replica}); leader ${role.leader ?? '(none)'}, term ${role.term ?? '?'}; serving reads; Ctrl-C or SIGTERM to stop`,
            );
          serve.onRoleChange((r) =>
            o.err(
              r.role === 'leader'
                ? `setpoint serve: leading (${r.replica}, term ${r.term}), revision ${serve.status().revision ?? '(none admitted)'}`
                : `setpoint serve: following (${r.replica}); leader ${r.leader ?? '(none)'}`,
            ),
          );
          const ended = await manager.run((sig) => o.err(`${sig}: finishing in-flight work…`));
          if (!ended.clean) {
            o.err(
              o.colors.red(
                `error: serve was stopped before it finished (a second signal, or longer than the ${((opts.grace ?? 30_000) / 1000).toFixed(0)}s grace period); in-flight work may be unrecorded`,
              ) + '\n  hint: the next start reconciles everything again from the state and the targets',
            );
            // Parts still stopping must not keep the process alive past its grace period.
            setTimeout(() => process.exit(EXIT.error), 100).unref();
            return EXIT.error;
          }
          o.err('setpoint serve stopped');
        }),
    );
}
