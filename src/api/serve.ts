/** `setpoint serve`'s controller: made with its metrics, alert evaluator and tracing, and started unless asked not to. */
import type { Serve, ServeRunnable } from '../engine/controller/serve.js';
import type { AlertEvaluator } from '../telemetry/alerts/index.js';
import { attachConsole, type ConsoleOptions } from '../telemetry/log.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Tracing } from '../telemetry/tracing.js';
import { VERSION } from '../version.js';
import type { ApiContext } from './context.js';
import { retentionJob } from './retention.js';
import { alertWindows, windowGate } from './windows.js';

export interface ServeOptions {
  paths?: readonly string[];
  resyncMs?: number;
  workers?: number;
  /** false: made, not started (the caller starts it after its own runnables). Defaults to true. */ start?: boolean;
  /** Mirror the log to a terminal too (serve's `--log-format`). Defaults to the log file only. */
  console?: ConsoleOptions;
}

/** Starts the controller; resolves once the first revision is loaded and watches are set. */
export async function serve(
  ctx: ApiContext,
  options: ServeOptions = {},
): Promise<{ serve: Serve; metrics: Metrics; alerts: AlertEvaluator }> {
  const [
    { Serve: ServeClass },
    { Metrics: MetricsClass },
    { AlertEvaluator: EvaluatorClass },
    { startTracing },
  ] = await Promise.all([
    import('../engine/controller/serve.js'),
    import('../telemetry/metrics.js'),
    import('../telemetry/alerts/evaluator.js'),
    import('../telemetry/tracing.js'),
  ]);
  const engine = await ctx.engine();
  const store = await ctx.store();
  const metrics = new MetricsClass({ version: VERSION });
  if (options.console) attachConsole(ctx.logger, options.console);
  const alerts = new EvaluatorClass({
    store,
    settings: ctx.settings.alerts,
    slos: ctx.settings.slos,
    defaultRemediation: ctx.settings.defaults.remediation,
    logger: ctx.logger,
    metrics,
    windows: alertWindows(ctx.settings),
  });
  let tracing: Tracing | undefined;
  const runnables: ServeRunnable[] = [
    {
      name: 'tracing',
      phase: 'first',
      start: async () => {
        tracing = await startTracing(ctx.settings.tracing);
        if (tracing)
          ctx.logger.info(
            { endpoint: tracing.endpoint, protocol: tracing.protocol },
            `exporting spans (OTLP, ${tracing.protocol})`,
          );
      },
      stop: () => tracing?.shutdown(),
    },
    { name: 'alerts', start: () => alerts.start(), stop: () => alerts.stop() },
    retentionJob(ctx),
  ];
  const controller = new ServeClass({
    runnables,
    sources:
      options.paths && options.paths.length > 0
        ? ctx.sourceSetFor(options.paths, engine)
        : await ctx.sources(),
    store,
    registry: ctx.registry,
    settings: ctx.settings,
    logger: ctx.logger,
    secrets: ctx.secrets,
    metrics,
    windows: windowGate(ctx.settings),
    workRoot: ctx.workRoot,
    statePath: displayedState(ctx.stateLocation),
    resyncMs: options.resyncMs,
    workers: options.workers,
  });
  if (options.start !== false) await controller.start();
  return { serve: controller, metrics, alerts };
}

/** The state's location for messages: a URL without its credentials. */
function displayedState(location: string): string {
  if (!location.includes('://')) return location;
  try {
    const url = new URL(location);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return 'the state store';
  }
}
