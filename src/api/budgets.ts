/**
 * Error-budget gates of `slos:`: the budget readings they act on, measured
 * from each gated SLO's data (the store's SLI events, or Prometheus), and the
 * gate the engine asks. serve measures again every alerts evaluation
 * interval; a one-shot run measures once before it acts. A reading that
 * fails keeps the last one (the gate neither opens nor closes on an outage
 * of its data source) and is logged. One measurement is in flight at a time:
 * a slow data source never lets an older reading land after a newer one.
 */
import type { Logger } from '../telemetry/index.js';
import type { Store } from '../store/index.js';
import { sloStatus, type SloSpec } from '../telemetry/slo/index.js';
import { budgetGate, exhausted, type BudgetGate, type BudgetReading } from '../windows/index.js';
import type { ApiContext } from './context.js';

export class BudgetWatch {
  private readonly readings = new Map<string, BudgetReading>();
  private timer: NodeJS.Timeout | undefined;
  /** The measurement in flight, if any: measurements run one after another. */
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    readonly slos: readonly SloSpec[],
    private readonly logger: Logger,
    readonly recheckMs: number,
  ) {}

  /**
   * Measures every gated SLO's budget (after the measurement in flight, if
   * any); logs a gate that closes or opens.
   */
  refresh(now?: number): Promise<void> {
    const previous = this.running;
    const next = (async () => {
      if (previous) await previous;
      await this.measure(now ?? Date.now());
    })();
    // Settles (never rejects) when `next` does; the caller gets `next`'s outcome.
    const settled: Promise<void> = next
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        if (this.running === settled) this.running = undefined;
      });
    this.running = settled;
    return next;
  }

  private async measure(now: number): Promise<void> {
    for (const spec of this.slos) {
      const status = await sloStatus(this.store, spec, now);
      if (status.error) {
        this.logger.warn(
          { slo: spec.name, err: status.error },
          `SLO ${spec.name}: budget not measured (${status.error}); its gate keeps its last state`,
        );
        continue;
      }
      const before = exhausted(spec.gate!, this.readings.get(spec.name));
      const reading = { remaining: status.budget.remaining, at: now };
      this.readings.set(spec.name, reading);
      const after = exhausted(spec.gate!, reading);
      if (before !== after)
        this.logger[after ? 'warn' : 'info'](
          { slo: spec.name, remaining: reading.remaining },
          after
            ? `error budget of SLO ${spec.name} is exhausted (${Math.round(reading.remaining * 100)}% left): its gate holds changes`
            : `error budget of SLO ${spec.name} recovered (${Math.round(reading.remaining * 100)}% left): its gate releases`,
        );
    }
  }

  /** The last readings, by SLO name. */
  current(): ReadonlyMap<string, BudgetReading> {
    return this.readings;
  }

  gate(): BudgetGate {
    return budgetGate(
      this.slos.map((s) => ({ name: s.name, gate: s.gate! })),
      () => this.readings,
      this.recheckMs,
    );
  }

  /** serve: measure now, then every `recheckMs`. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      // A tick while a measurement is still in flight is skipped, not queued.
      if (this.running) return;
      this.refresh().catch((err: unknown) =>
        this.logger.warn({ err }, 'error-budget gates: measuring failed'),
      );
    }, this.recheckMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The project's budget watch, or undefined when no SLO has a gate. */
export async function budgetWatch(ctx: ApiContext): Promise<BudgetWatch | undefined> {
  const gated = ctx.settings.slos.filter((s) => s.gate !== undefined);
  if (gated.length === 0) return undefined;
  return new BudgetWatch(await ctx.store(), gated, ctx.logger, ctx.settings.alerts.evaluationIntervalMs);
}

/** A one-shot run's gate: the budgets measured once, now. */
export async function budgetGateNow(ctx: ApiContext): Promise<BudgetGate | undefined> {
  const watch = await budgetWatch(ctx);
  if (!watch) return undefined;
  await watch.refresh();
  return watch.gate();
}
