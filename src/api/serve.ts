/** `setpoint serve`'s controller: made with its metrics, alert evaluator and tracing, and started unless asked not to. */
import type { Serve, ServeRunnable } from '../engine/controller/serve.js';
import type { WindowGate } from '../windows/index.js';
import type { AlertEvaluator } from '../telemetry/alerts/index.js';
import type { NodeSeen } from '../telemetry/alerts/types.js';
import { attachConsole, type ConsoleOptions } from '../telemetry/log.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Tracing } from '../telemetry/tracing.js';
import { VERSION } from '../version.js';
import { LOCK_TTL_ENV, lockTtlMs } from '../store/lock.js';
import type { ApiContext } from './context.js';
import { retentionJob } from './retention.js';
import { alertWindows, windowGate } from './windows.js';
import { budgetWatch } from './budgets.js';
import { listNodes, type CurrentDesired } from './fleet.js';
import { nodeView } from './node-view.js';
import { redactUrl } from '../store/postgres/url.js';

export interface ServeOptions {
  paths?: readonly string[];
  resyncMs?: number;
  workers?: number;
  /** false: made, not started (the caller starts it after its own runnables). Defaults to true. */ start?: boolean;
  /** Mirror the log to a terminal too (serve's `--log-format`). Defaults to the log file only. */
  console?: ConsoleOptions;
  /** The leader lease's time to live. Defaults to SETPOINT_LOCK_TTL_MS when set, else 15 s. */
  leaseTtlMs?: number;
  /** This replica's name in the lease and audit entries. Defaults to SETPOINT_REPLICA_ID, else a random one. */
  replicaId?: string;
  /** The change windows' gate. Defaults to the windows of setpoint.yaml (an agent passes the server's). */
  windows?: WindowGate;
  /**
   * The process_* and nodejs_* series (prom-client's default metrics). Defaults to true. An agent, which
   * serves no /metrics, passes false: their event-loop monitor wakes the process 100 times a second.
   */
  processMetrics?: boolean;
  /** How often to look for commands (nudges) in the store. Defaults to 250 ms (engine/controller/serve.ts). */
  pollMs?: number;
  /** Look for commands when the store is written, and every this many ms (engine/controller/command-look.ts). */
  commandFallbackMs?: number;
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
  const metrics = new MetricsClass({ version: VERSION, processMetrics: options.processMetrics });
  if (options.console) attachConsole(ctx.logger, options.console);
  const alerts = new EvaluatorClass({
    store,
    settings: ctx.settings.alerts,
    slos: ctx.settings.slos,
    defaultRemediation: ctx.settings.defaults.remediation,
    logger: ctx.logger,
    metrics,
    windows: alertWindows(ctx.settings),
    // Read at each evaluation; `controller` is made below and set before the first one.
    nodes: () => fleetNodes(ctx, controller),
    nodeBehindAfterMs: ctx.settings.fleet.behindAfterMs,
  });
  let tracing: Tracing | undefined;
  const budgets = await budgetWatch(ctx);
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
    ...(budgets
      ? [
          {
            name: 'error-budget gates',
            phase: 'first' as const,
            start: () => budgets.start(),
            stop: () => budgets.stop(),
          },
        ]
      : []),
  ];
  const controller: Serve = new ServeClass({
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
    windows: options.windows ?? windowGate(ctx.settings),
    budget: budgets?.gate(),
    workRoot: ctx.workRoot,
    facts: ctx.rendering.facts,
    // Read once a rollout runs; `controller` is set by then.
    nodes: nodeView(ctx, (): CurrentDesired | undefined => serveCurrent(controller)),
    statePath: displayedState(ctx.stateLocation),
    resyncMs: options.resyncMs,
    workers: options.workers,
    pollMs: options.pollMs,
    commandFallbackMs: options.commandFallbackMs,
    leaseTtlMs: options.leaseTtlMs ?? (process.env[LOCK_TTL_ENV] ? lockTtlMs() : undefined),
    replicaId: options.replicaId ?? (process.env.SETPOINT_REPLICA_ID || undefined),
  });
  if (options.start !== false) await controller.start();
  return { serve: controller, metrics, alerts };
}

/** The enrolled nodes' states against serve's current desired state (none before it has one). */
async function fleetNodes(ctx: ApiContext, controller: Serve | undefined): Promise<NodeSeen[]> {
  const current = serveCurrent(controller);
  if (!current) return [];
  // With the rollouts' pins: a node held at the previous revision by a rollout is not behind.
  const nodes = await listNodes(ctx, current);
  return nodes.filter((n) => !n.revokedAt);
}

/** serve's desired state in force and its rollouts across nodes (what every node set decision reads). */
function serveCurrent(controller: Serve | undefined): CurrentDesired | undefined {
  const current = controller?.current;
  if (!current) return undefined;
  return {
    desired: current.desired,
    revision: current.revision?.id ?? 'current',
    rollouts: controller.nodeRollouts(),
  };
}

/** The state's location for messages: a URL without its password. */
function displayedState(location: string): string {
  return redactUrl(location);
}
