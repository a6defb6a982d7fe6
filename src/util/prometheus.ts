/**
 * A minimal Prometheus HTTP API client: one instant query
 * (`GET {url}/api/v1/query`) reduced to one number. Used by Target measures
 * and by SLOs whose events come from Prometheus.
 */
import { SetpointError } from '../errors.js';

export interface QueryOptions {
  headers?: Record<string, string>;
  /** Defaults to 10 s. */
  timeoutMs?: number;
  /** What an empty instant vector means: an error (a goal's value must exist) or this number (counts of nothing are 0). */
  empty?: number;
}

/** Why a query gave no number: `code` is SETPOINT_PROMETHEUS_QUERY; the message says what came back. */
export class PrometheusError extends SetpointError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, 'SETPOINT_PROMETHEUS_QUERY', { hint, cause });
  }
}

/** The value of a scalar, or of the one series of an instant vector. */
export async function queryNumber(
  baseUrl: string,
  query: string,
  options: QueryOptions = {},
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...options.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : String((err as Error).cause ?? err);
    throw new PrometheusError(
      `could not query ${url.origin}: ${reason}`,
      'check the URL and that Prometheus is up',
      err,
    );
  }
  const text = await res.text();
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new PrometheusError(
      `${url.origin} answered HTTP ${res.status} without JSON: ${text.slice(0, 120)}`,
    );
  }
  if (body.status !== 'success')
    throw new PrometheusError(
      `Prometheus refused the query: ${body.error ?? `HTTP ${res.status}`}`,
      'check the PromQL',
    );
  const { resultType, result } = body.data ?? {};
  if (resultType === 'scalar') return toFinite((result as [number, string])[1]);
  if (resultType === 'vector') {
    const series = result as Array<{ value: [number, string] }>;
    if (series.length === 0 && options.empty !== undefined) return options.empty;
    if (series.length !== 1)
      throw new PrometheusError(
        `the query gave ${series.length} series, not one`,
        series.length === 0
          ? 'nothing matched: check the metric names and labels'
          : 'aggregate it, e.g. sum(...) or max(...)',
      );
    return toFinite(series[0].value[1]);
  }
  throw new PrometheusError(
    `the query gave a ${resultType ?? 'missing'} result, not a scalar or instant vector`,
  );
}

function toFinite(raw: string): number {
  const n = Number(raw);
  // NaN is what Prometheus gives for 0/0; a value that is no number is an error, not a zero.
  if (!Number.isFinite(n)) throw new PrometheusError(`the query gave ${raw}, not a number`);
  return n;
}
