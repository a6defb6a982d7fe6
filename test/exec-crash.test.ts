/**
 * kill -9 of setpoint while an Exec apply command runs: the command runs on
 * (its own process group), and the next apply must not start a second copy
 * next to it. It waits for the first one, checks again, and runs nothing
 * more when the check passes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cliSpawn, exited, json, sandbox, waitFor } from './helpers.js';

const lines = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];

describe('Exec: kill -9 while its apply command runs', () => {
  it('the next apply waits for the orphaned command instead of running a second one', async () => {
    const s = sandbox('setpoint-exec-crash-');
    const log = s.path('log');
    const release = s.path('release');
    s.write({
      'manifests/x.yaml': [
        'kind: Exec',
        'metadata: { name: x }',
        'spec:',
        '  check: test -f done',
        '  apply: echo start >> log; while [ ! -f release ]; do sleep 0.05; done; echo end >> log; touch done',
        '  timeout: 60s',
        `  cwd: ${s.dir}`,
        '',
      ].join('\n'),
    });
    const first = cliSpawn(['apply', '--yes', '--state', s.state], { cwd: s.dir });
    const firstDone = exited(first);
    await waitFor(() => lines(log).length === 1, 'the apply command to start');
    first.kill('SIGKILL');
    await firstDone;

    const second = cliSpawn(['apply', '--yes', '--state', s.state], { cwd: s.dir });
    const secondDone = exited(second);
    try {
      const waiting = () =>
        json<Array<{ reason: string }>>(s.run(['events', 'Exec/default/x', '--json', '-n', '100'])).some(
          (e) => e.reason === 'InterruptedCommand',
        );
      // Either the second apply waits for the first command (fixed) or it starts its own (the defect).
      await waitFor(() => lines(log).length > 1 || waiting(), 'the second apply to decide');
      assert.deepEqual(lines(log), ['start'], 'no second apply command while the first runs');
    } finally {
      writeFileSync(release, '');
    }
    const r = await secondDone;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(lines(log), ['start', 'end'], 'the apply command ran once');
    assert.ok(existsSync(s.path('done')));
  });
});
