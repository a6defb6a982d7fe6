/**
 * Diff and health of an HttpCheck: pure functions of the spec and the last
 * result. Each unmet expectation is a change (measured -> expected), so plan
 * and drift show a failing check and its dependents wait; health says
 * Healthy or Degraded with the figures, as a sentence.
 */
import type { Change } from '../../diff/index.js';
import type { Health } from '../../provider/types.js';
import type { CheckResult } from './check.js';
import type { HttpCheckSpec } from './spec.js';

export function diffCheck(spec: HttpCheckSpec, r: CheckResult | undefined): Change[] {
  if (!r) return [{ path: 'spec.url', new: spec.url }];
  if (r.error) return [{ path: 'spec.url', old: r.error, new: 'an answer' }];
  const changes: Change[] = [];
  if (!r.statusOk)
    changes.push({ path: 'spec.expect.status', old: r.status, new: spec.expect.status.join(', ') });
  if (r.bodyMatched === false)
    changes.push({ path: 'spec.expect.body', old: 'no match', new: spec.expect.body });
  if (r.jsonMatched === false)
    changes.push({
      path: 'spec.expect.json',
      old: r.jsonValue === undefined ? `${spec.expect.json!.path} missing` : r.jsonValue,
      new: JSON.stringify(spec.expect.json!.equals),
    });
  if (r.fastEnough === false)
    changes.push({ path: 'spec.expect.maxLatency', old: `${r.latencyMs}ms`, new: spec.expect.maxLatency });
  return changes;
}

/** "200 in 12ms, body matched" or "503 in 8ms: expected 200-399". */
export function healthOfCheck(spec: HttpCheckSpec, r: CheckResult | undefined): Health {
  if (!r) return { status: 'Unknown', message: 'not checked yet' };
  if (r.error) return { status: 'Degraded', message: `${r.error} after ${r.latencyMs}ms` };
  const figures = [`${r.status} in ${r.latencyMs}ms`];
  const problems: string[] = [];
  if (!r.statusOk) problems.push(`expected status ${spec.expect.status.join(', ')}`);
  if (r.bodyMatched !== undefined)
    (r.bodyMatched ? figures : problems).push(`body ${r.bodyMatched ? 'matched' : 'did not match'}`);
  if (r.jsonMatched !== undefined)
    (r.jsonMatched ? figures : problems).push(
      r.jsonMatched
        ? `${spec.expect.json!.path} matched`
        : `${spec.expect.json!.path} is ${r.jsonValue ?? 'missing'}, expected ${JSON.stringify(spec.expect.json!.equals)}`,
    );
  if (r.fastEnough === false) problems.push(`slower than ${spec.expect.maxLatency}`);
  return problems.length === 0
    ? { status: 'Healthy', message: figures.join(', ') }
    : { status: 'Degraded', message: `${figures.join(', ')}: ${problems.join('; ')}` };
}
