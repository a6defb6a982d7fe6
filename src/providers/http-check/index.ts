/**
 * HttpCheck: an observe-only HTTP health check. `observe` makes the request
 * and measures it; an unmet expectation is drift that setpoint reports (it
 * cannot fix it), health is Healthy or Degraded with the figures, and under
 * serve `watch` asks for a new check every `interval`. Secret header values
 * are resolved into the desired state (memory only) and never reach the
 * result, the plan, events or the store. See docs/kinds-health.md.
 */
import { ProviderError } from '../../provider/errors.js';
import type { Ctx, Provider } from '../../provider/types.js';
import type { ResourceId } from '../../manifest/index.js';
import { SecretError } from '../../secrets/index.js';
import { parseDuration } from '../../util/duration.js';
import { passed, runCheck, type CheckRequest, type CheckResult } from './check.js';
import { reportCheck } from './results.js';
import { HttpCheckSpecSchema, type HttpCheckSpec } from './spec.js';
import { diffCheck, healthOfCheck } from './status.js';

export { HttpCheckSpecSchema, type HttpCheckSpec } from './spec.js';
export type { CheckResult } from './check.js';
export { onHttpCheck, type CheckReport } from './results.js';

export interface HttpCheckDesired {
  spec: HttpCheckSpec;
  id: ResourceId;
  request: CheckRequest;
}

/** A provider instance; it remembers each check's last verdict to emit an event when it flips. */
export function createHttpCheckProvider(): Provider<HttpCheckSpec, CheckResult, HttpCheckDesired> {
  const lastOk = new Map<ResourceId, boolean>();
  return {
    kind: 'HttpCheck',
    description:
      'An HTTP health check (observe-only): status, body, JSON path and latency, checked every interval.',
    schema: HttpCheckSpecSchema,

    async resolve(spec, ctx) {
      return { spec, id: ctx.id, request: await requestOf(spec, ctx) };
    },

    async observe(desired, ctx) {
      const result = await runCheck(desired.request);
      const ok = passed(result);
      const before = lastOk.get(desired.id);
      lastOk.set(desired.id, ok);
      if (before !== ok && (before !== undefined || !ok)) {
        const health = healthOfCheck(desired.spec, result);
        if (ok)
          ctx.event('Normal', 'CheckPassed', `${desired.spec.method} ${desired.spec.url}: ${health.message}`);
        else
          ctx.event(
            'Warning',
            'CheckFailed',
            `${desired.spec.method} ${desired.spec.url}: ${health.message}`,
          );
      }
      reportCheck({ id: desired.id, result, ok });
      return result;
    },

    diff: (desired, actual) => diffCheck(desired.spec, actual),
    health: (desired, actual) => healthOfCheck(desired.spec, actual),
    display: (_desired, actual) => actual,

    /** A new check every `interval`: the controller observes the resource again. */
    watch(targets, onChange) {
      const timers = targets.map((t) => {
        const timer = setInterval(() => onChange(t.id), Math.max(100, parseDuration(t.spec.interval)!));
        timer.unref();
        return timer;
      });
      return { dispose: () => timers.forEach(clearInterval) };
    },
  };
}

export const httpCheckProvider = createHttpCheckProvider();

async function requestOf(spec: HttpCheckSpec, ctx: Ctx): Promise<CheckRequest> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) {
    if (typeof value === 'string') {
      headers[name] = value;
      continue;
    }
    try {
      headers[name] = await ctx.secrets.resolve(value.secretRef, ctx.baseDir);
    } catch (err) {
      if (err instanceof SecretError)
        throw new ProviderError(err.message, {
          code: err.code,
          field: `spec.headers.${name}.secretRef`,
          hint: err.hint,
        });
      throw err;
    }
  }
  return {
    url: spec.url,
    method: spec.method,
    headers,
    body: spec.body,
    timeoutMs: parseDuration(spec.timeout)!,
    expect: spec.expect,
    maxLatencyMs: spec.expect.maxLatency !== undefined ? parseDuration(spec.expect.maxLatency)! : undefined,
  };
}
