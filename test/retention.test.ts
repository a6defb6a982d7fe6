/**
 * Retention under serve: the background job deletes events older than
 * `retention.events` every `retention.interval`, audits what it deleted, and
 * leaves the audit chain intact.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { eventually, json, startServe } from './helpers.js';
import { FAST, fileDoc, project } from './serve-kit.js';

it('serve prunes events older than retention.events on its interval, audited, the audit chain intact', async (t) => {
  const p = project({}, `${FAST}retention: { events: 2s, interval: 300ms }\n`);
  p.write({ 'manifests/a.yaml': fileDoc('motd', join(p.out, 'motd'), 'hello\n') + '\n' });
  p.ok(['apply', '--yes']);
  const before = json<Array<{ seq: number }>>(p.ok(['events', '--json']));
  assert.ok(before.length > 0, 'apply recorded events');
  await startServe(t, p.dir, ['--listen', '127.0.0.1:0']);
  await eventually(() => {
    const seqs = json<Array<{ seq: number }>>(p.ok(['events', '--json'])).map((e) => e.seq);
    return before.every((e) => !seqs.includes(e.seq));
  }, 'the events of the first apply pruned');
  const audit = json<Array<{ action: string; actor: string; detail?: { events?: number } }>>(
    p.ok(['audit', '--json', '--action', 'state.prune']),
  );
  assert.ok(
    audit.some((e) => e.actor === 'serve' && (e.detail?.events ?? 0) > 0),
    JSON.stringify(audit),
  );
  assert.equal(p.run(['audit', 'verify']).code, 0);
});
