/**
 * Process replicas with real child processes: a killed replica is reported by
 * watch and brought back, scaling up and down, a rolling restart on a spec
 * change, `${replica}` substitution, destroy, and secret env values.
 */
import {
  STATE_DIR,
  killReplica,
  pidRunning,
  records,
  removeAll,
  resetWork,
  sleeper,
  waitFor,
  withProcess,
} from './testkit.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { Harness, type Sandbox } from '../../provider/conformance.js';
import { type ProcessActual } from './index.js';

afterEach(resetWork);
after(removeAll);

const spec = (sb: Sandbox, extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: ['-e', sleeper()],
  cwd: sb.targetDir,
  backoff: { initial: '100ms', max: '1s' },
  gracePeriod: '2s',
  ...extra,
});

const pids = (actual: ProcessActual | undefined): number[] =>
  actual?.replicas.filter((r) => r.running).map((r) => r.pid!) ?? [];

describe('Process replicas', () => {
  it('reports a killed replica through watch at once, observe shows it down, apply brings it back', () =>
    withProcess(async (h, sb) => {
      const { r, actual } = await h.converge(spec(sb, { replicas: 2 }));
      assert.equal(pids(actual).length, 2);
      const changed: string[] = [];
      const w = h.provider.watch!([{ id: r.ctx.id, spec: r.spec }], (id) => changed.push(id), assert.fail);
      try {
        const killed = killReplica(1);
        await waitFor('the watch to fire', () => changed.length > 0, 2000);
        assert.deepEqual(changed, ['Process/default/conformance']);
        const seen = await h.observe(r);
        assert.deepEqual(
          seen?.replicas.map((x) => x.running),
          [true, false],
        );
        assert.deepEqual(h.diff(r, seen), [{ path: 'spec.replicas', old: 1, new: 2 }]);
        assert.deepEqual(h.provider.health!(r.desired, seen), {
          status: 'Progressing',
          message: '1 of 2 replicas ready',
        });
        const repaired = await h.apply(r, seen);
        assert.equal(pids(repaired).length, 2);
        assert.equal(repaired.replicas[0].pid, actual.replicas[0].pid, 'the healthy replica is left alone');
        assert.notEqual(repaired.replicas[1].pid, killed);
        assert.equal(repaired.replicas[1].restarts, 1);
        assert.match(repaired.replicas[1].lastExit?.signal ?? '', /SIGKILL/);
        assert.deepEqual(h.diff(r, await h.observe(r)), []);
        assert.ok(
          h.events.some((e) => e.reason === 'ReplicaRestarted' && e.message.includes('killed by SIGKILL')),
          'a Restarted event names the exit',
        );
      } finally {
        await w.dispose();
      }
    }));

  it('scales 2 -> 3 -> 1 without touching the replicas that stay', () =>
    withProcess(async (h, sb) => {
      const two = await h.converge(spec(sb, { replicas: 2 }));
      const three = await h.load(spec(sb, { replicas: 3 }));
      assert.deepEqual(h.diff(three, two.actual), [{ path: 'spec.replicas', old: 2, new: 3 }]);
      const scaledUp = await h.apply(three, two.actual);
      assert.deepEqual(pids(scaledUp).slice(0, 2), pids(two.actual));
      assert.equal(pids(scaledUp).length, 3);

      const one = await h.load(spec(sb, { replicas: 1 }));
      assert.deepEqual(h.diff(one, scaledUp), [{ path: 'spec.replicas', old: 3, new: 1 }]);
      const scaledDown = await h.apply(one, scaledUp);
      assert.deepEqual(pids(scaledDown), [pids(two.actual)[0]]);
      for (const pid of pids(scaledUp).slice(1))
        assert.equal(pidRunning(pid), false, `pid ${pid} is stopped`);
      assert.deepEqual([...records().keys()], [0], 'the records of removed replicas are gone');
      assert.deepEqual(h.diff(one, await h.observe(one)), []);
    }));

  it('restarts every replica when args change, with the new args, and names the field', () =>
    withProcess(async (h, sb) => {
      const before = await h.converge(spec(sb, { replicas: 2, args: ['-e', sleeper(), 'v1'] }));
      const v2 = await h.load(spec(sb, { replicas: 2, args: ['-e', sleeper(), 'v2'] }));
      const changes = h.diff(v2, before.actual);
      assert.deepEqual(
        changes.map((c) => c.path),
        ['spec.args'],
      );
      assert.deepEqual((changes[0].new as string[])[2], 'v2');
      const after = await h.apply(v2, before.actual);
      assert.equal(pids(after).length, 2);
      for (const pid of pids(before.actual))
        assert.equal(pidRunning(pid), false, `old pid ${pid} is stopped`);
      for (const x of after.replicas) assert.equal(x.digest, v2.desired.digest);
      await waitFor('the new replicas to log', () =>
        after.replicas.every((x) => readFileSync(x.log, 'utf8').includes('args v2')),
      );
      assert.deepEqual(h.diff(v2, await h.observe(v2)), []);
    }));

  it('substitutes ${replica} and ${replica+N} in args and env', () =>
    withProcess(async (h, sb) => {
      const script =
        "console.log('port', process.argv[1], 'env', process.env.PORT, process.env.NAME); setTimeout(() => {}, 120000)";
      const { actual } = await h.converge(
        spec(sb, {
          replicas: 2,
          args: ['-e', script, '${replica+8080}'],
          env: { PORT: '${replica+9000}', NAME: 'web-${replica}' },
        }),
      );
      await waitFor('both replicas to log', () =>
        actual.replicas.every((x) => readFileSync(x.log, 'utf8').includes('port')),
      );
      assert.match(readFileSync(actual.replicas[0].log, 'utf8'), /port 8080 env 9000 web-0/);
      assert.match(readFileSync(actual.replicas[1].log, 'utf8'), /port 8081 env 9001 web-1/);
    }));

  it('destroy stops every replica and removes the state files; observe then says absent', () =>
    withProcess(async (h, sb) => {
      const { r, actual } = await h.converge(spec(sb, { replicas: 3 }));
      await h.destroy(r, actual);
      for (const pid of pids(actual))
        assert.equal(pidRunning(pid), false, `pid ${pid} is gone (or a zombie)`);
      assert.deepEqual(
        readdirSync(STATE_DIR).filter((f) => f.endsWith('.json')),
        [],
      );
      assert.equal(await h.observe(r), undefined);
      assert.deepEqual(h.provider.health!(r.desired, undefined), {
        status: 'Missing',
        message: 'not started',
      });
    }));

  it('passes secret env values to the process but never writes them to the state files', () =>
    withProcess(
      async (h, sb) => {
        const script = "console.log('token=' + process.env.TOKEN); setTimeout(() => {}, 120000)";
        const { r, actual } = await h.converge(
          spec(sb, { args: ['-e', script], env: { TOKEN: { secretRef: { env: 'WEB_TOKEN' } } } }),
        );
        await waitFor('the replica to log', () =>
          readFileSync(actual.replicas[0].log, 'utf8').includes('token='),
        );
        assert.match(readFileSync(actual.replicas[0].log, 'utf8'), /token=s3cret-value-42/);
        for (const f of readdirSync(STATE_DIR).filter((n) => n.endsWith('.json')))
          assert.ok(
            !readFileSync(join(STATE_DIR, f), 'utf8').includes('s3cret-value-42'),
            `${f} holds no secret`,
          );
        assert.ok(!JSON.stringify(actual).includes('s3cret-value-42'), 'the actual state holds no secret');

        // A rotated secret restarts the process; the change is shown as sensitive.
        const rotated = new Harness(h.provider, sb, { env: { WEB_TOKEN: 'rotated-value-43' } });
        const next = await rotated.load(r.spec);
        assert.deepEqual(rotated.diff(next, await rotated.observe(next)), [
          { path: 'spec.env.TOKEN', sensitive: true },
        ]);
      },
      { pollMs: 50, harness: { env: { WEB_TOKEN: 's3cret-value-42' } } },
    ));

  it('replicas: 0 is a state of its own: applied, nothing runs, Healthy', () =>
    withProcess(async (h, sb) => {
      const r = await h.load(spec(sb, { replicas: 0 }));
      assert.deepEqual(h.diff(r, undefined).at(-1), { path: 'spec.replicas', new: 0 });
      const { actual } = await h.converge(spec(sb, { replicas: 0 }));
      assert.deepEqual(actual.replicas, []);
      assert.equal(h.provider.health!(r.desired, actual).status, 'Healthy');
    }));
});
