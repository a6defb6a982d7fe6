/**
 * The command look on a real SQLite file: a command written by another
 * connection (the CLI) is read without waiting for a timer, and a look asked
 * for during a look runs after it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir, waitFor } from '../../../test/helpers.js';
import { SqliteStore } from '../../store/sqlite/index.js';
import type { Nudge } from '../../store/types.js';
import { CommandLook } from './command-look.js';

const HOUR = 3_600_000;
const closing: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of closing.reverse()) await c();
});

function nudge(reason: string): Nudge {
  return { reason, actor: 'cli', at: new Date().toISOString() };
}

describe('CommandLook', () => {
  it('reads a command written by another connection without the fallback timer', async () => {
    const path = join(tempDir(), 'state.db');
    const agent = new SqliteStore(path);
    const cli = new SqliteStore(path);
    closing.push(
      () => agent.close(),
      () => cli.close(),
    );
    const read: Nudge[] = [];
    let counter = await agent.changeCounter();
    const look = new CommandLook({
      store: agent,
      look: async () => {
        const now = await agent.changeCounter();
        if (now === counter) return;
        counter = now;
        read.push(...(await agent.listNudges(read.at(-1)?.seq ?? 0)));
      },
      onError: (err) => assert.fail(err),
      // Both an hour away: only the watch can bring the command within the test.
      pollMs: HOUR,
      fallbackMs: HOUR,
    });
    look.start();
    closing.push(() => look.stop());

    await cli.appendNudge(nudge('resume'));
    await waitFor(() => read.length === 1, 'the command read', 30_000);
    await cli.appendNudge(nudge('sync'));
    await waitFor(() => read.length === 2, 'the second command read', 30_000);
    assert.deepEqual(
      read.map((n) => n.reason),
      ['resume', 'sync'],
    );
  });

  it('looks at once on commands this process wrote only when watching (polling, the next poll reads them)', async () => {
    const counting = (store: SqliteStore, fallbackMs?: number) => {
      const counted = { looks: 0 };
      const look = new CommandLook({
        store,
        look: async () => void counted.looks++,
        onError: (err) => assert.fail(err),
        pollMs: HOUR,
        fallbackMs,
      });
      look.start();
      closing.push(() => look.stop());
      return { look, counted };
    };
    const memory = new SqliteStore(':memory:');
    const file = new SqliteStore(join(tempDir(), 'state.db'));
    closing.push(
      () => memory.close(),
      () => file.close(),
    );
    const polling = counting(memory, HOUR);
    polling.look.written();
    const watching = counting(file, HOUR);
    watching.look.written();
    await waitFor(() => watching.counted.looks >= 1, 'the look after a write of this process', 30_000);
    assert.equal(polling.counted.looks, 0);
  });

  it('runs one look at a time, and once more when asked during one', async () => {
    const store = new SqliteStore(':memory:');
    closing.push(() => store.close());
    let running = 0;
    let most = 0;
    let looks = 0;
    let release: () => void = () => undefined;
    const look = new CommandLook({
      store,
      look: async () => {
        looks++;
        most = Math.max(most, ++running);
        if (looks === 1) await new Promise<void>((r) => (release = r));
        running--;
      },
      onError: (err) => assert.fail(err),
      pollMs: HOUR,
    });
    look.start();
    closing.push(() => look.stop());
    look.soon();
    look.soon();
    look.soon();
    assert.equal(looks, 1);
    release();
    await waitFor(() => looks === 2 && running === 0, 'the look asked for meanwhile', 30_000);
    assert.equal(most, 1);
  });
});
