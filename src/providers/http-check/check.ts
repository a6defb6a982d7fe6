/**
 * One check: the request with Node's fetch (undici), bounded by the timeout,
 * the latency measured to the end of the body, and each expectation judged.
 * Never throws: a failed request is a result with an error sentence. The
 * result holds figures only, never a header value or the body.
 */
import { isDeepStrictEqual } from 'node:util';
import { linearRegex } from '../../util/linear-regex.js';
import { readJsonPath } from './json-path.js';
import type { HttpExpect } from './spec.js';

/** At most this much of the body is read and matched. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface CheckRequest {
  url: string;
  method: string;
  /** Resolved header values (secrets included): kept in memory only. */
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  expect: HttpExpect;
  maxLatencyMs?: number;
}

/** What one check measured and how it judged it. */
export interface CheckResult {
  /** ISO time the check started. */
  checkedAt: string;
  /** The answer's status; absent when there was none. */
  status?: number;
  /** Milliseconds from the request to the end of the body (or to the failure). */
  latencyMs: number;
  /** Why there was no answer: "connection refused", "timed out after 5s", ... */
  error?: string;
  statusOk: boolean;
  /** Whether the body pattern matched; absent without one. */
  bodyMatched?: boolean;
  /** Whether the JSON path held the expected value; absent without one. */
  jsonMatched?: boolean;
  /** The value found at the JSON path (absent when the path is missing), as JSON, cut at 200 characters. */
  jsonValue?: string;
  /** Whether the latency was within maxLatency; absent without one. */
  fastEnough?: boolean;
}

export async function runCheck(req: CheckRequest): Promise<CheckResult> {
  const checkedAt = new Date().toISOString();
  const started = performance.now();
  let status: number;
  let text = '';
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    status = res.status;
    if (req.expect.body !== undefined || req.expect.json !== undefined) text = await readCapped(res);
    else await res.body?.cancel();
  } catch (err) {
    return {
      checkedAt,
      latencyMs: Math.round(performance.now() - started),
      error: describeFailure(err, req.timeoutMs),
      statusOk: false,
    };
  }
  const latencyMs = Math.round(performance.now() - started);
  const out: CheckResult = {
    checkedAt,
    status,
    latencyMs,
    statusOk: statusMatches(status, req.expect.status),
  };
  if (req.expect.body !== undefined) out.bodyMatched = linearRegex(req.expect.body).test(text);
  if (req.expect.json !== undefined) {
    let found: { found: boolean; value?: unknown } = { found: false };
    try {
      found = readJsonPath(JSON.parse(text), req.expect.json.path);
    } catch {
      // Not JSON: the path is not there.
    }
    out.jsonMatched = found.found && isDeepStrictEqual(found.value, req.expect.json.equals);
    if (found.found) out.jsonValue = JSON.stringify(found.value).slice(0, 200);
  }
  if (req.maxLatencyMs !== undefined) out.fastEnough = latencyMs <= req.maxLatencyMs;
  return out;
}

/** Whether every expectation holds. */
export function passed(r: CheckResult): boolean {
  return r.statusOk && r.bodyMatched !== false && r.jsonMatched !== false && r.fastEnough !== false;
}

export function statusMatches(status: number, expected: ReadonlyArray<number | string>): boolean {
  return expected.some((e) => {
    if (typeof e === 'number') return status === e;
    const [lo, hi] = e.split('-').map(Number);
    return status >= lo && status <= hi;
  });
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= MAX_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer within ${timeoutMs}ms (timeout)`;
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return code ?? e.cause?.message ?? e.message;
}
