/** Log lines written inside a span carry its trace_id and span_id (so logs and traces join), and every line the hostname. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { eventually, tempDir } from '../../test/helpers.js';
import { createLogger, reopenOnHangup } from './log.js';

describe('log lines and traces', () => {
  it('a line inside an active span names the trace and span; outside one it does not; both name the host', async () => {
    const provider = new NodeTracerProvider();
    provider.register();
    const file = join(tempDir(), 'log.jsonl');
    const logger = createLogger({ file });
    let ids: { traceId: string; spanId: string } | undefined;
    trace.getTracer('test').startActiveSpan('reconcile', (span) => {
      ids = span.spanContext();
      logger.info({ resourceId: 'File/default/motd' }, 'inside');
      span.end();
    });
    logger.info('outside');
    logger.flush();
    const text = await eventually(() => {
      const t = readFileSync(file, 'utf8');
      return t.trim().split('\n').length >= 2 ? t : undefined;
    }, 'two lines');
    const [inside, outside] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(inside.trace_id, ids!.traceId);
    assert.equal(inside.span_id, ids!.spanId);
    assert.equal(outside.trace_id, undefined);
    assert.equal(inside.hostname, hostname());
    assert.equal(outside.hostname, hostname());
    await provider.shutdown();
  });
});

describe('log file and logrotate', () => {
  it('SIGHUP reopens the file by name: lines after a rotation go to the new file', async () => {
    const dir = tempDir();
    const file = join(dir, 'setpoint.log');
    const logger = createLogger({ file });
    const stop = reopenOnHangup(logger);
    try {
      logger.info('before');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      await eventually(() => readFileSync(file, 'utf8').includes('before'), 'the first line');
      renameSync(file, `${file}.1`); // what logrotate does
      process.kill(process.pid, 'SIGHUP');
      await eventually(() => existsSync(file), 'the file reopened');
      logger.info('after');
      await eventually(() => readFileSync(file, 'utf8').includes('after'), 'the line in the new file');
      assert.doesNotMatch(readFileSync(`${file}.1`, 'utf8'), /after/);
    } finally {
      stop();
    }
  });
});
