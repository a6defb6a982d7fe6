/**
 * Exec: the shared conformance suite over real child processes, then what
 * only Exec does — the check guards the apply, output becomes events, a
 * timeout kills the whole process group, an apply must satisfy the check.
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandbox, Harness, runConformance, type Sandbox } from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import { execProvider, type ExecActual, type ExecDesired, type ExecSpec } from './index.js';

/** Files the valid spec's commands use: the marker is the state, `blocker` makes apply fail. */
function files(sb: Sandbox) {
  return {
    MARKER: join(sb.targetDir, 'marker'),
    RUNS: join(sb.targetDir, 'runs.log'),
    BLOCKER: join(sb.targetDir, 'blocker'),
  };
}

runConformance({
  provider: execProvider,
  validSpec: (sb) => ({
    check: ['test', '-e', files(sb).MARKER],
    apply: [
      '/bin/sh',
      '-c',
      'if [ -e "$BLOCKER" ]; then echo "blocked by $BLOCKER" >&2; exit 3; fi; echo ran >> "$RUNS"; touch "$MARKER"',
    ],
    destroy: ['rm', '-f', files(sb).MARKER],
    env: files(sb),
    timeout: '10s',
  }),
  createFields: ['spec.check', 'spec.apply'],
  drifts: [
    {
      name: 'marker removed by hand',
      breakState: (_spec, sb) => rmSync(files(sb).MARKER),
      fields: ['spec.check', 'spec.apply'],
    },
  ],
  badSpecs: [
    { name: 'no check', spec: () => ({ apply: 'true' }), field: 'spec.check' },
    { name: 'an empty apply argv', spec: () => ({ check: 'true', apply: [] }), field: 'spec.apply' },
    {
      name: 'a timeout that is not a duration',
      spec: () => ({ check: 'true', apply: 'true', timeout: 'soon' }),
      field: 'spec.timeout',
    },
    {
      name: 'an env value that is a number',
      spec: () => ({ check: 'true', apply: 'true', env: { PORT: 8080 } }),
      field: 'spec.env.PORT',
    },
    {
      name: 'an unknown field',
      spec: () => ({ check: 'true', apply: 'true', command: 'true' }),
      field: 'spec.command',
    },
  ],
  failure: {
    start: 'absent',
    breakApply: (_spec, sb) => {
      writeFileSync(files(sb).BLOCKER, '');
      return () => rmSync(files(sb).BLOCKER);
    },
    field: 'spec.apply',
  },
});

async function withExec(
  body: (h: Harness<ExecSpec, ExecActual, ExecDesired>, sb: Sandbox) => Promise<void>,
): Promise<void> {
  const sb = createSandbox();
  try {
    await body(new Harness(execProvider, sb), sb);
  } finally {
    sb.dispose();
  }
}

/** Alive and not a zombie (an orphan's zombie lingers until its new parent reaps it). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('Exec check and apply', () => {
  it('a passing check means no action: empty diff, and apply does not run', () =>
    withExec(async (h, sb) => {
      const marker = join(sb.targetDir, 'ran');
      const r = await h.load({ check: ['true'], apply: ['touch', marker] });
      const actual = await h.observe(r);
      assert.deepEqual(actual, { satisfied: true });
      assert.deepEqual(h.diff(r, actual), []);
      assert.deepEqual(execProvider.health!(r.desired, actual), { status: 'Healthy' });
      await h.apply(r, actual);
      assert.equal(existsSync(marker), false, 'apply must not run while the check passes');
      assert.deepEqual(h.events, []);
    }));

  it('reports apply output through ctx.event', () =>
    withExec(async (h, sb) => {
      const marker = join(sb.targetDir, 'marker');
      await h.converge({
        check: ['test', '-e', marker],
        apply: ['/bin/sh', '-c', `echo "hello from apply"; echo "a warning" >&2; touch "$0"`, marker],
      });
      assert.deepEqual(h.events, [
        { type: 'Normal', reason: 'CommandOutput', message: 'apply: hello from apply\na warning' },
      ]);
    }));

  it('reports a failing apply as a Warning event and a ProviderError with its output', () =>
    withExec(async (h) => {
      const r = await h.load({ check: ['false'], apply: ['/bin/sh', '-c', 'echo "disk full" >&2; exit 4'] });
      await assert.rejects(h.apply(r, await h.observe(r)), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.apply');
        assert.match(err.message, /exit 4.*disk full/s);
        return true;
      });
      assert.deepEqual(h.events, [{ type: 'Warning', reason: 'CommandOutput', message: 'apply: disk full' }]);
    }));

  it('is an error when apply leaves the check failing', () =>
    withExec(async (h) => {
      const r = await h.load({ check: ['false'], apply: ['true'] });
      await assert.rejects(h.apply(r, await h.observe(r)), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.code, 'SETPOINT_APPLY_UNCONVERGED');
        assert.equal(err.field, 'spec.check');
        assert.ok(err.hint);
        return true;
      });
    }));

  it('refuses to destroy without a destroy command, naming spec.destroy', () =>
    withExec(async (h) => {
      const r = await h.load({ check: ['true'], apply: ['true'] });
      await assert.rejects(
        h.destroy(r, { satisfied: true }),
        (err: unknown) => err instanceof ProviderError && err.field === 'spec.destroy',
      );
    }));
});

describe('Exec timeout', () => {
  it('kills the whole process group, background children included', () =>
    withExec(async (h, sb) => {
      const pidFile = join(sb.targetDir, 'child.pid');
      const r = await h.load({
        check: ['false'],
        apply: ['/bin/sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $! > "$PID_FILE"; sleep 60'],
        env: { PID_FILE: pidFile },
        timeout: '500ms',
      });
      const started = Date.now();
      let child: number | undefined;
      try {
        await assert.rejects(h.apply(r, undefined), (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.field, 'spec.apply');
          assert.match(err.message, /timed out/);
          assert.match(err.hint ?? '', /spec\.timeout/);
          return true;
        });
        assert.ok(Date.now() - started < 10_000, 'the timeout must stop the command early');
        child = Number(readFileSync(pidFile, 'utf8'));
        for (let waited = 0; isAlive(child) && waited < 5000; waited += 50) await sleep(50);
        assert.equal(isAlive(child), false, `background child ${child} must be killed with its group`);
      } finally {
        if (child !== undefined && isAlive(child)) process.kill(child, 'SIGKILL');
      }
    }));
});
