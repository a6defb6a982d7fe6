/**
 * Adoption: replicas started by an earlier setpoint process (a real one,
 * which then exits) are adopted by a fresh provider, never duplicated; their
 * death is noticed by polling /proc; a record naming a recycled or foreign
 * pid is never adopted, waited on or killed. Also `onServeStop`.
 */
import {
  STATE_DIR,
  killReplica,
  pidRunning,
  records,
  removeAll,
  resetWork,
  sleeper,
  spawnForeign,
  waitFor,
} from './testkit.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, afterEach, describe, it } from 'node:test';
import { createSandbox, Harness, type Sandbox } from '../../provider/conformance.js';
import { createProcessProvider, type ProcessActual, type ProcessDesired, type ProcessSpec } from './index.js';
import { MARK_VAR, markValue, resourceMark } from './marks.js';
import { bootId } from './proc.js';
import { writeReplica, type ReplicaRecord } from './state.js';

afterEach(resetWork);
after(removeAll);

type ProcessHarness = Harness<ProcessSpec, ProcessActual, ProcessDesired>;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Applies `raw` from a separate node process (an earlier setpoint), which then exits; returns the pids it started. */
function applyFromAnotherProcess(sb: Sandbox, raw: unknown): number[] {
  const code = `
    import { Harness } from ${JSON.stringify(here('../../provider/conformance.ts'))};
    import { createProcessProvider } from ${JSON.stringify(here('./index.ts'))};
    const h = new Harness(createProcessProvider(), ${JSON.stringify({ root: sb.root, projectDir: sb.projectDir, targetDir: sb.targetDir })});
    const { actual } = await h.converge(${JSON.stringify(raw)});
    console.log(JSON.stringify(actual.replicas.map((r) => r.pid)));
  `;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as number[];
}

/** Live (non-zombie) processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return pidRunning(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
}

async function withSandbox(body: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = createSandbox();
  try {
    await body(sb);
  } finally {
    sb.dispose();
  }
}

describe('Process adoption', () => {
  it('a fresh provider adopts the replicas an earlier setpoint process started, and starts no duplicate', () =>
    withSandbox(async (sb) => {
      const marker = `adopt-${process.pid}-${Date.now()}`;
      const raw = {
        command: process.execPath,
        args: ['-e', sleeper(), marker],
        cwd: sb.targetDir,
        replicas: 2,
      };
      const started = applyFromAnotherProcess(sb, raw);
      assert.equal(started.length, 2);
      assert.deepEqual(
        processesWith(marker).sort(),
        [...started].sort(),
        'the replicas outlived the process that started them',
      );

      const h: ProcessHarness = new Harness(createProcessProvider(), sb);
      const r = await h.load(raw);
      const seen = await h.observe(r);
      assert.deepEqual(
        seen?.replicas.map((x) => x.pid),
        started,
      );
      assert.deepEqual(h.diff(r, seen), []);
      const recordsBefore = JSON.stringify([...records()]);
      const applied = await h.apply(r, seen);
      assert.deepEqual(
        applied.replicas.map((x) => x.pid),
        started,
      );
      assert.equal(JSON.stringify([...records()]), recordsBefore, 'apply wrote nothing');
      assert.deepEqual(processesWith(marker).sort(), [...started].sort(), 'no duplicate was started');
      assert.deepEqual(h.events, []);
    }));

  it('notices an adopted replica die by polling /proc, and apply restarts it', () =>
    withSandbox(async (sb) => {
      const raw = { command: process.execPath, args: ['-e', sleeper()], cwd: sb.targetDir, replicas: 2 };
      const started = applyFromAnotherProcess(sb, raw);
      const h: ProcessHarness = new Harness(createProcessProvider({ pollMs: 50 }), sb);
      const r = await h.load(raw);
      const changed: string[] = [];
      const w = h.provider.watch!([{ id: r.ctx.id, spec: r.spec }], (id) => changed.push(id), assert.fail);
      try {
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.deepEqual(changed, [], 'no change while both run');
        killReplica(0);
        await waitFor('the poll to notice', () => changed.length > 0, 2000);
        const seen = await h.observe(r);
        assert.deepEqual(
          seen?.replicas.map((x) => x.running),
          [false, true],
        );
        assert.deepEqual(
          seen?.replicas[0].lastExit,
          { code: null, signal: null },
          'not our child: its exit status is unknown',
        );
        const repaired = await h.apply(r, seen);
        assert.equal(repaired.replicas[0].running, true);
        assert.notEqual(repaired.replicas[0].pid, started[0]);
        assert.equal(repaired.replicas[1].pid, started[1]);
        assert.equal(repaired.replicas[0].restarts, 1);
      } finally {
        await w.dispose();
      }
    }));

  it('never adopts, waits on or kills a recycled or foreign pid', () =>
    withSandbox(async (sb) => {
      const h: ProcessHarness = new Harness(createProcessProvider(), sb);
      const raw = {
        command: process.execPath,
        args: ['-e', sleeper()],
        cwd: sb.targetDir,
        replicas: 2,
        gracePeriod: '200ms',
      };
      const { r } = await h.converge(raw);
      const foreign = spawnForeign(sleeper());
      // Replica 0's record now names a live process that started at another time (a recycled pid);
      // replica 1's names the right start time but another boot.
      const recs = records();
      const forge = (rec: ReplicaRecord, identity: Partial<ReplicaRecord['process']>) => ({
        ...rec,
        process: { ...foreign, ...identity },
      });
      killReplica(0);
      killReplica(1);
      writeReplica(STATE_DIR, forge(recs.get(0)!, { startTime: foreign.startTime + 1 }));
      writeReplica(STATE_DIR, forge(recs.get(1)!, { bootId: bootId() === 'x' ? 'y' : 'x' }));

      const seen = await h.observe(r);
      assert.deepEqual(
        seen?.replicas.map((x) => x.running),
        [false, false],
      );
      assert.deepEqual(h.diff(r, seen), [{ path: 'spec.replicas', old: 0, new: 2 }]);
      const repaired = await h.apply(r, seen);
      assert.ok(repaired.replicas.every((x) => x.running && x.pid !== foreign.pid));
      await h.destroy(r, repaired);
      assert.equal(pidRunning(foreign.pid), true, 'the foreign process was never signalled');
    }));

  it('onServeStop stops stopWithServe replicas and forgets them, and leaves the others running', () =>
    withSandbox(async (sb) => {
      const h: ProcessHarness = new Harness(createProcessProvider(), sb);
      const keep = await h.converge({
        command: process.execPath,
        args: ['-e', sleeper()],
        cwd: sb.targetDir,
      });
      await h.provider.onServeStop!(keep.r.desired, keep.actual, keep.r.ctx);
      assert.equal(pidRunning(keep.actual.replicas[0].pid!), true);

      const stop = await h.converge({
        command: process.execPath,
        args: ['-e', sleeper()],
        cwd: sb.targetDir,
        stopWithServe: true,
      });
      assert.equal(
        stop.actual.replicas[0].pid,
        keep.actual.replicas[0].pid,
        'stopWithServe alone restarts nothing',
      );
      await h.provider.onServeStop!(stop.r.desired, stop.actual, stop.r.ctx);
      assert.equal(pidRunning(stop.actual.replicas[0].pid!), false);
      assert.deepEqual([...records().keys()], []);
      // The next serve starts it afresh.
      const next = await h.observe(stop.r);
      assert.deepEqual(h.diff(stop.r, next), [{ path: 'spec.replicas', old: 0, new: 1 }]);
    }));

  it('status counts a marked process no record knows, and apply stops it', () =>
    withSandbox(async (sb) => {
      const h: ProcessHarness = new Harness(createProcessProvider(), sb);
      const raw = { command: process.execPath, args: ['-e', sleeper()], cwd: sb.targetDir, replicas: 2 };
      const { r, actual } = await h.converge(raw);
      // Another replica 1, as an unrecorded start (or a lost state file) would leave it.
      const env = { ...process.env, [MARK_VAR]: markValue(resourceMark(STATE_DIR), 1, 'feedfacefeedface') };
      const child = spawn(process.execPath, ['-e', sleeper()], { detached: true, stdio: 'ignore', env });
      child.unref();
      const stray = child.pid!;
      const seen = await h.observe(r);
      assert.deepEqual(seen?.strays, [{ index: 1, pid: stray }]);
      assert.deepEqual(h.provider.health!(r.desired, seen), {
        status: 'Progressing',
        message: '2 of 2 replicas ready, 1 more process to stop',
      });
      assert.deepEqual(h.diff(r, seen), [{ path: 'spec.replicas', old: 3, new: 2 }]);
      const repaired = await h.apply(r, seen);
      assert.deepEqual(repaired.strays, []);
      assert.equal(pidRunning(stray), false, 'the stray was stopped');
      assert.deepEqual(
        repaired.replicas.map((x) => x.pid),
        actual.replicas.map((x) => x.pid),
        'the recorded replicas were left alone',
      );
      assert.ok(h.events.some((e) => e.reason === 'StrayStopped' && e.message.includes(String(stray))));
    }));

  it('a start recorded but not spawned is started; one spawned but not recorded is adopted', () =>
    withSandbox(async (sb) => {
      const h: ProcessHarness = new Harness(createProcessProvider(), sb);
      const raw = { command: process.execPath, args: ['-e', sleeper()], cwd: sb.targetDir, replicas: 2 };
      const { r, actual } = await h.converge(raw);
      const [zero, one] = [records().get(0)!, records().get(1)!];
      // Replica 0: setpoint died after spawning it, before recording its pid (the record holds the intent).
      const { process: p0, token: t0, ...rest0 } = zero;
      writeReplica(STATE_DIR, { ...rest0, intent: { token: t0!, at: Date.now() } });
      // Replica 1: it died after recording the intent, before the spawn (no process carries the token).
      killReplica(1);
      const { process: _p1, token: _t1, ...rest1 } = one;
      writeReplica(STATE_DIR, {
        ...rest1,
        restarts: 0,
        intent: { token: 'deadbeefdeadbeef', at: Date.now() },
      });

      const before = h.events.length;
      const seen = await h.observe(r);
      assert.deepEqual(
        seen?.replicas.map((x) => [x.running, x.pid, x.interrupted]),
        [
          [true, p0!.pid, undefined],
          [false, undefined, true],
        ],
      );
      const repaired = await h.apply(r, seen);
      assert.equal(repaired.replicas[0].pid, actual.replicas[0].pid, 'adopted, not started again');
      assert.ok(repaired.replicas[1].running && repaired.replicas[1].pid !== actual.replicas[1].pid);
      assert.deepEqual(records().get(0)?.process, p0);
      assert.equal(records().get(0)?.intent, undefined);
      assert.deepEqual(
        h.events.slice(before).map((e) => e.reason),
        ['ReplicaAdopted', 'ReplicaStarted'],
      );
    }));
});
