/**
 * The recorder's commits against a real SQLite store: an action's intent is
 * committed before it acts even while the outcomes of other actions are
 * still being committed (intents have their own commit chain), and outcomes
 * that finish together go in one transaction.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { SqliteStore } from '../store/sqlite/index.js';
import type { AuditEntry, StoreBatch } from '../store/index.js';
import { silentLogger } from '../telemetry/log.js';
import { Recorder } from './recorder.js';

/** A real store whose commits of audit entries wait until `release()`: an outcome commit that takes long. */
class SlowAuditStore extends SqliteStore {
  commits: StoreBatch[] = [];
  private gate: Promise<void> | undefined;
  release: () => void = () => undefined;

  holdAudits(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  override async commit(batch: StoreBatch): Promise<AuditEntry[]> {
    this.commits.push(batch);
    if (batch.audits?.length && this.gate) await this.gate;
    return super.commit(batch);
  }
}

const stores: SqliteStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
});

function setup(): { store: SlowAuditStore; recorder: Recorder } {
  const store = new SlowAuditStore(join(tempDir(), 'state.db'));
  stores.push(store);
  return { store, recorder: new Recorder({ store, logger: silentLogger(), actor: 'test' }) };
}

const outcomeOf = (id: string) =>
  ({
    id,
    kind: 'File',
    op: 'create',
    result: 'succeeded',
    message: 'created',
    changes: [],
    via: 'apply',
    record: undefined,
  }) as const;

describe('Recorder', () => {
  it('commits an intent while an earlier outcome is still being committed', async () => {
    const { store, recorder } = setup();
    const first = await recorder.intend({ id: 'File/default/a', op: 'create', via: 'apply', changes: [] });
    store.holdAudits();
    let outcomeDone = false;
    const outcome = recorder
      .outcome({ ...outcomeOf('File/default/a'), intent: first })
      .then(() => (outcomeDone = true));
    const second = await recorder.intend({ id: 'File/default/b', op: 'create', via: 'apply', changes: [] });
    assert.equal(outcomeDone, false, 'the outcome commit is still held');
    assert.deepEqual(
      (await store.listIntents()).map((i) => i.resourceId).sort(),
      ['File/default/a', 'File/default/b'],
      'the second intent is durable before the first outcome',
    );
    store.release();
    await outcome;
    assert.deepEqual(
      (await store.listIntents()).map((i) => i.resourceId),
      [second.resourceId],
      'the outcome removed its own intent only',
    );
    await recorder.stop();
  });

  it('commits outcomes that finish together in one transaction, in order', async () => {
    const { store, recorder } = setup();
    const ids = ['File/default/a', 'File/default/b', 'File/default/c'];
    await Promise.all(ids.map((id) => recorder.outcome(outcomeOf(id))));
    const withAudits = store.commits.filter((b) => b.audits?.length);
    assert.equal(withAudits.length, 1);
    assert.deepEqual(
      withAudits[0].audits!.map((a) => a.resourceId),
      ids,
    );
    assert.equal((await store.verifyAudit()).ok, true);
    await recorder.stop();
  });
});
