import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../telemetry/index.js';
import { Manager, type Runnable } from './manager.js';

const logger = createLogger({ level: 'silent' });

function part(name: string, log: string[], fail = false): Runnable {
  return {
    name,
    start: () => {
      if (fail) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    drain: () => log.push(`drain ${name}`),
    stop: () => {
      log.push(`stop ${name}`);
    },
  };
}

describe('Manager', () => {
  it('starts in order, drains everything first, then stops in reverse', async () => {
    const log: string[] = [];
    const m = new Manager({
      logger,
      runnables: ['tracing', 'http', 'lock', 'controller'].map((n) => part(n, log)),
    });
    await m.start();
    await m.stop();
    await m.stop(); // idempotent
    assert.deepEqual(log, [
      'start tracing',
      'start http',
      'start lock',
      'start controller',
      'drain tracing',
      'drain http',
      'drain lock',
      'drain controller',
      'stop controller',
      'stop lock',
      'stop http',
      'stop tracing',
    ]);
  });

  it('a part that fails to start stops those started, in reverse, and the start fails with its error', async () => {
    const log: string[] = [];
    const m = new Manager({
      logger,
      runnables: [part('a', log), part('b', log), part('c', log, true), part('d', log)],
    });
    await assert.rejects(m.start(), /c cannot start/);
    assert.deepEqual(log, ['start a', 'start b', 'drain a', 'drain b', 'stop b', 'stop a']);
  });

  it('run() ends when stop() is called, cleanly', async () => {
    const log: string[] = [];
    const m = new Manager({ logger, runnables: [part('a', log)] });
    await m.start();
    const ran = m.run();
    await m.stop();
    assert.deepEqual(await ran, { cause: 'stop', clean: true });
  });
});
