/** Log lines carry the reconcile's ids; the terminal form is one readable line. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually, tempDir } from '../../test/helpers.js';
import { runInReconcile } from './context.js';
import { formatLogLine } from './log-format.js';
import { attachConsole, createLogger } from './log.js';
import { annotateReconcile } from './trace.js';

/** The file's first `n` JSON lines, once they are written (the file logger writes asynchronously). */
async function lines(
  logger: ReturnType<typeof createLogger>,
  file: string,
  n: number,
): Promise<Array<Record<string, unknown>>> {
  logger.flush();
  const text = await eventually(() => {
    const t = readFileSync(file, 'utf8');
    return t.split('\n').filter(Boolean).length >= n ? t : undefined;
  }, `${n} lines in ${file}`);
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('structured log', () => {
  it('lines written during a reconcile carry its resource, revision and reconcile ids; explicit fields win', async () => {
    const file = join(tempDir(), 'setpoint.log');
    const logger = createLogger({ file });
    await runInReconcile({ reconcileId: '3f2a9c1e', resourceId: 'File/web/motd' }, async () => {
      annotateReconcile({ revisionId: '774bda80aa', action: 'update' });
      await Promise.resolve();
      logger.warn({ reason: 'DriftDetected' }, 'changed outside setpoint');
      logger.info({ resourceId: 'File/web/other' }, 'about another resource');
    });
    logger.info({}, 'outside any reconcile');
    const [inside, other, outside] = await lines(logger, file, 3);
    assert.equal(inside.resourceId, 'File/web/motd');
    assert.equal(inside.reconcileId, '3f2a9c1e');
    assert.equal(inside.revisionId, '774bda80aa');
    assert.equal(inside.reason, 'DriftDetected');
    assert.equal(other.resourceId, 'File/web/other', 'the call site wins');
    assert.equal(Object.keys(other).filter((k) => k === 'resourceId').length, 1);
    assert.equal(outside.reconcileId, undefined);
  });

  it('can be mirrored to a terminal in a readable form, and the mirror stopped', () => {
    const file = join(tempDir(), 'setpoint.log');
    const logger = createLogger({ file });
    const seen: string[] = [];
    const stop = attachConsole(logger, { format: 'pretty', write: (t) => seen.push(t) });
    runInReconcile({ reconcileId: 'abcdef12', resourceId: 'File/web/motd', revisionId: '774bda80aa' }, () =>
      logger.warn({ reason: 'DriftDetected' }, 'changed outside setpoint: spec.content'),
    );
    stop();
    logger.info({}, 'not mirrored');
    assert.equal(seen.length, 1);
    assert.match(
      seen[0],
      /^\d\d:\d\d:\d\d\.\d{3} WARN  File\/web\/motd changed outside setpoint: spec\.content  reconcile=abcdef12 revision=774bda80 reason=DriftDetected\n$/,
    );
  });
});

describe('formatLogLine', () => {
  it('shows time, level, message and other fields; quotes values with spaces', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-03-01T12:00:01.250Z',
      pid: 1,
      msg: 'revision admitted',
      revisionId: 'abc',
      resources: 3,
      err: 'no such file',
    });
    assert.equal(
      formatLogLine(line),
      '12:00:01.250 INFO  revision admitted  revision=abc resources=3 err="no such file"\n',
    );
  });

  it('passes a line that is not JSON through', () => {
    assert.equal(formatLogLine('plain text'), 'plain text\n');
  });
});
