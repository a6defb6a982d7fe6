/**
 * Gates: a set of checks over a window, judged after a step's targets are
 * ready. Each check answers pass, fail or pending (an approval not decided
 * yet, or no health result observed since the targets became ready); a gate fails at the first failing check, and passes once every check
 * has passed at each evaluation for the whole window. `judgeGate` is the pure
 * part; `evaluateCheck` reads what each check looks at.
 */
import type { SloSpec } from '../telemetry/slo/schema.js';
import { burnRate, countsWithin } from '../telemetry/slo/burn.js';
import { prometheusCounts, sliBuckets } from '../telemetry/slo/sli.js';
import type { Store } from '../store/index.js';
import type { CheckSpec, Comparator } from './schema.js';
import type { TargetHealth } from './targets.js';

export interface CheckOutcome {
  /** What was checked ("health of HttpCheck/default/web"). */
  check: string;
  /** undefined: not decided yet (an approval). */
  ok: boolean | undefined;
  message: string;
}

export type GateVerdict = 'passed' | 'failed' | 'pending';

/**
 * The verdict at `now` for a gate whose window began at `startedAt`:
 * failed at the first failing check; passed when every check passes and the
 * window has elapsed; pending otherwise.
 */
export function judgeGate(
  outcomes: readonly CheckOutcome[],
  startedAt: number,
  windowMs: number,
  now: number,
): GateVerdict {
  if (outcomes.some((o) => o.ok === false)) return 'failed';
  if (outcomes.some((o) => o.ok === undefined)) return 'pending';
  return now - startedAt >= windowMs ? 'passed' : 'pending';
}

/** When to look again: the next interval, or the window's end if sooner (so a gate adds at most one interval). */
export function nextCheckIn(startedAt: number, windowMs: number, intervalMs: number, now: number): number {
  const left = startedAt + windowMs - now;
  return Math.max(10, left > 0 ? Math.min(intervalMs, left) : intervalMs);
}

export function compare(value: number, comparison: Comparator, threshold: number): boolean {
  switch (comparison) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** One check result of a resource, as its checker saw it (an HttpCheck's latest request). */
export interface Observed {
  /** When it was observed (epoch ms). */
  at: number;
  ok: boolean;
  message: string;
}

export interface CheckContext {
  store: Store;
  /**
   * The latest result observed for a resource, when its checker reports
   * each one (HttpCheck under serve); other resources are judged by their
   * stored health. Defaults to none.
   */
  observed?: (id: string) => Observed | undefined;
  /**
   * How resources stand on the promoted targets, when the targets report it
   * themselves (nodes); an id they report is judged by that alone.
   */
  targetHealth?: (ids: readonly string[]) => Promise<Map<string, TargetHealth[]>>;
  /** Only results observed from then on (epoch ms: when the step's targets became ready) count. */
  since?: number;
  slos: readonly SloSpec[];
  /** The gate's window (an SLO check's default burn window). */
  windowMs: number;
  /** The approval a manual check waits for. */
  approvalId?: string;
  now: number;
  /** Longest wait for one Prometheus answer. Defaults to 5 s. */
  timeoutMs?: number;
}

export async function evaluateCheck(check: CheckSpec, ctx: CheckContext): Promise<CheckOutcome> {
  switch (check.type) {
    case 'health':
      return healthCheck(check.ids, ctx);
    case 'prometheus':
      return prometheusCheck(check, ctx);
    case 'slo':
      return sloCheck(check, ctx);
    case 'approval':
      return approvalCheck(ctx);
  }
}

async function healthCheck(ids: string[], ctx: CheckContext): Promise<CheckOutcome> {
  const check = `health of ${ids.join(', ')}`;
  const records = new Map((await ctx.store.listResources({ ids })).map((r) => [r.id, r]));
  const onTargets = ctx.targetHealth ? await ctx.targetHealth(ids) : new Map<string, TargetHealth[]>();
  const bad: string[] = [];
  const waiting: string[] = [];
  for (const id of ids) {
    const reported = onTargets.get(id);
    if (reported?.length) {
      for (const h of reported) {
        // A target not on its new set yet, a result from before, or a check not run yet there, says nothing of the revision.
        if (h.stale || h.health === 'Unknown' || h.health === 'Progressing')
          waiting.push(`${id} on ${h.target}${h.why ? ` (${h.why})` : ''}`);
        else if (h.health !== 'Healthy')
          bad.push(`${id} is ${h.health} on ${h.target}${h.message ? ` (${h.message})` : ''}`);
      }
      continue;
    }
    const seen = ctx.observed?.(id);
    if (seen) {
      // A result from before the step's targets were ready says nothing about the new revision.
      if (ctx.since !== undefined && seen.at < ctx.since) waiting.push(id);
      else if (!seen.ok) bad.push(`${id} is Degraded (${seen.message})`);
      continue;
    }
    const r = records.get(id);
    if (r?.health !== 'Healthy')
      bad.push(
        `${id} is ${r ? `${r.health}${r.healthMessage ? ` (${r.healthMessage})` : ''}` : 'unknown to the state'}`,
      );
  }
  if (bad.length) return { check, ok: false, message: bad.join('; ') };
  if (waiting.length)
    return {
      check,
      ok: undefined,
      message: `waits for a result of ${waiting.join(', ')} observed after the step was ready`,
    };
  return { check, ok: true, message: `${ids.length} healthy` };
}

async function prometheusCheck(
  c: Extract<CheckSpec, { type: 'prometheus' }>,
  ctx: CheckContext,
): Promise<CheckOutcome> {
  const check = `prometheus ${c.query} ${c.comparison} ${c.threshold}`;
  const url = `${c.url.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(c.query)}`;
  let value: number;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ctx.timeoutMs ?? 5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    value = instantValue(await res.json());
  } catch (err) {
    // A gate that cannot see its signal does not pass.
    return { check, ok: false, message: `cannot query ${c.url}: ${(err as Error).message}` };
  }
  const ok = compare(value, c.comparison, c.threshold);
  return { check, ok, message: `value ${value} ${ok ? 'passes' : 'fails'} ${c.comparison} ${c.threshold}` };
}

/** The one number of an instant query answer (a vector of one sample, or a scalar). */
export function instantValue(body: unknown): number {
  const data = (body as { status?: string; data?: { resultType?: string; result?: unknown } }).data;
  if ((body as { status?: string }).status !== 'success' || !data)
    throw new Error('the answer is not a success');
  let raw: unknown;
  if (data.resultType === 'scalar') raw = (data.result as [number, string])[1];
  else if (data.resultType === 'vector') {
    const list = data.result as Array<{ value: [number, string] }>;
    if (list.length !== 1) throw new Error(`the query answers ${list.length} series, not 1`);
    raw = list[0].value[1];
  } else throw new Error(`unexpected result type ${data.resultType}`);
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${String(raw)}`);
  return n;
}

async function sloCheck(c: Extract<CheckSpec, { type: 'slo' }>, ctx: CheckContext): Promise<CheckOutcome> {
  const windowMs = c.windowMs ?? ctx.windowMs;
  const check = `burn rate of SLO ${c.name} <= ${c.maxBurnRate}`;
  const spec = ctx.slos.find((s) => s.name === c.name);
  if (!spec) return { check, ok: false, message: `no SLO named ${c.name} in slos:` };
  let counts;
  try {
    if (spec.sli === 'prometheus') {
      // Prometheus counts events over whole windows, not in stored buckets.
      counts = (await prometheusCounts(spec.prometheus!, [windowMs])).get(windowMs)!;
    } else {
      const buckets = await sliBuckets(ctx.store, spec, ctx.now - windowMs, ctx.now);
      counts = countsWithin(buckets, ctx.now, windowMs);
    }
  } catch (err) {
    // As for a Prometheus check: a gate that cannot see its signal does not pass.
    return { check, ok: false, message: `cannot read the SLI of ${c.name}: ${(err as Error).message}` };
  }
  const rate = burnRate(counts, spec.objective);
  const ok = rate <= c.maxBurnRate;
  return {
    check,
    ok,
    message: `burn rate ${rate.toFixed(2)} over ${Math.round(windowMs / 1000)}s (${counts.good}/${counts.total} good)`,
  };
}

async function approvalCheck(ctx: CheckContext): Promise<CheckOutcome> {
  const check = 'manual approval';
  const a = ctx.approvalId ? await ctx.store.getApproval(ctx.approvalId) : undefined;
  if (!a) return { check, ok: undefined, message: 'no approval requested yet' };
  if (a.state === 'approved' || a.state === 'applied')
    return { check, ok: true, message: `approved by ${a.decidedBy ?? 'someone'}` };
  if (a.state === 'rejected' || a.state === 'stale')
    return {
      check,
      ok: false,
      message: `${a.state}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.note ? `: ${a.note}` : ''}`,
    };
  return { check, ok: undefined, message: `waits for \`setpoint approve ${a.id}\`` };
}
