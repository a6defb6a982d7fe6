/**
 * Log files: stdout and stderr of each replica reach its file (a file
 * descriptor, not a pipe, so the replica keeps writing after setpoint is
 * gone), and a file over maxBytes is rotated by copy-truncate on observe and
 * on watch ticks, keeping `keep` generations.
 */
import { removeAll, resetWork, waitFor, withProcess } from './testkit.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { rotateIfNeeded } from './logs.js';

afterEach(resetWork);
after(removeAll);

const chatty = `let i = 0; setInterval(() => console.log('line ' + i++ + ' ' + 'x'.repeat(100)), 5); console.error('to stderr'); setTimeout(() => {}, 120000)`;

describe('Process logs', () => {
  it('appends stdout and stderr to <logs.dir>/<name>-<replica>.log through a file descriptor', () =>
    withProcess(async (h, sb) => {
      const { actual } = await h.converge({
        command: process.execPath,
        args: ['-e', "console.log('to stdout'); console.error('to stderr'); setTimeout(() => {}, 120000)"],
        cwd: sb.targetDir,
        logs: { dir: 'logs' },
      });
      const log = actual.replicas[0].log;
      assert.equal(
        log,
        join(sb.projectDir, 'logs', 'conformance-0.log'),
        'a relative logs.dir starts at the manifest folder',
      );
      await waitFor('both lines', () =>
        /to stdout\n[^]*to stderr|to stderr\n[^]*to stdout/.test(readFileSync(log, 'utf8')),
      );
      const pid = actual.replicas[0].pid!;
      assert.equal(readlinkSync(`/proc/${pid}/fd/1`), log, 'stdout is the log file itself');
      assert.equal(readlinkSync(`/proc/${pid}/fd/2`), log, 'stderr is the log file itself');
      assert.equal(readlinkSync(`/proc/${pid}/fd/0`), '/dev/null', 'stdin is ignored');
    }));

  it('rotates a log over maxBytes by copy-truncate on observe, keeping `keep` generations', () =>
    withProcess(async (h, sb) => {
      const { r, actual } = await h.converge({
        command: process.execPath,
        args: ['-e', chatty],
        cwd: sb.targetDir,
        logs: { maxBytes: 2048, keep: 2 },
      });
      const log = actual.replicas[0].log;
      for (let round = 1; round <= 3; round++) {
        await waitFor('the log to pass maxBytes', () => statSync(log).size > 2048);
        await h.observe(r);
        assert.ok(existsSync(`${log}.1`), `.1 exists after rotation ${round}`);
        assert.ok(statSync(`${log}.1`).size > 2048);
      }
      assert.ok(existsSync(`${log}.2`));
      assert.equal(existsSync(`${log}.3`), false, 'no more than keep generations');
      await waitFor('new lines after the truncate', () => statSync(log).size > 0);
      const head = readFileSync(log).subarray(0, 5).toString();
      assert.match(head, /^line /, 'O_APPEND: writing goes on at the start of the truncated file, no hole');
      const firstLine = (path: string) => Number(/line (\d+)/.exec(readFileSync(path, 'utf8'))?.[1]);
      assert.ok(firstLine(`${log}.2`) < firstLine(`${log}.1`), '.2 is older than .1');
    }));

  it('rotates on watch ticks too, without an observe', () =>
    withProcess(async (h, sb) => {
      const { r, actual } = await h.converge({
        command: process.execPath,
        args: ['-e', chatty],
        cwd: sb.targetDir,
        logs: { maxBytes: 4096, keep: 1 },
      });
      const w = h.provider.watch!([{ id: r.ctx.id, spec: r.spec }], () => undefined, assert.fail);
      try {
        await waitFor('the watch to rotate', () => existsSync(`${actual.replicas[0].log}.1`), 5000);
      } finally {
        await w.dispose();
      }
    }));

  it('keep: 0 truncates without a copy; a missing file is not an error', () =>
    withProcess(async (_h, sb) => {
      const path = join(sb.targetDir, 'x.log');
      assert.equal(rotateIfNeeded(path, 10, 0), false);
      writeFileSync(path, 'x'.repeat(20));
      assert.equal(rotateIfNeeded(path, 10, 0), true);
      assert.equal(statSync(path).size, 0);
      assert.equal(existsSync(`${path}.1`), false);
    }));
});
