/**
 * The audit trail under `setpoint serve`: an action serve refuses
 * (preventDestroy) is audited once, not again at every resync that finds it
 * refused; the chain still verifies with serve writing to it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AuditEntry } from '../src/store/index.js';
import { eventually, json, startServe } from './helpers.js';
import { project } from './serve-kit.js';

describe('audit under serve', () => {
  test('a refused action is audited once, however many resyncs find it refused', async (t) => {
    const p = project({});
    const target = join(p.out, 'keep.txt');
    writeFileSync(target, 'precious\n');
    const id = 'File/default/keep';
    p.write({
      'manifests/keep.yaml': `kind: File
metadata: { name: keep }
spec: { path: ${target}, ensure: absent }
lifecycle: { preventDestroy: true }
`,
    });
    await startServe(t, p.dir);
    await eventually(async () => (await p.record(id))?.sync === 'Blocked', 'serve to refuse the delete');
    // Two more full resyncs (every 2 s) look at it again and refuse again.
    const refusals = async () => (await p.events(id)).filter((e) => e.reason === 'Refused').length;
    const first = await refusals();
    await eventually(
      async () => (await refusals()) >= first + 2,
      'two more resyncs to refuse it again',
      30_000,
    );

    const audit = json<AuditEntry[]>(p.ok(['audit', '--resource', id, '--json']));
    assert.deepEqual(
      audit.map((e) => `${e.actor} ${e.action} ${e.result}`),
      ['setpoint-serve serve.refuse refused'],
    );
    const [refusal] = audit;
    assert.match(refusal.revisionId ?? '', /^[0-9a-f]{16}$/);
    assert.match(refusal.diffDigest ?? '', /^[0-9a-f]{64}$/);
    assert.match(String(refusal.detail?.message), /preventDestroy/);
    assert.equal(p.read(target), 'precious\n');
    assert.match(
      p.ok(['audit', 'verify']).stdout,
      /^the audit trail: intact, \d+ entries, head [0-9a-f]{64}$/m,
    );
  });
});
