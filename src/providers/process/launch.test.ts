/**
 * The Supervisor records how a child exited, and a rolling update waits for
 * that record: /proc shows a replica dead (a zombie) a moment before Node
 * reaps it and its exit lands in the replica's file. Reading the file in
 * between said "exit status unknown" (a flaky rolling-update test, under load).
 */
import { removeAll, resetWork, STATE_DIR, withProcess } from './testkit.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, afterEach, describe, it } from 'node:test';
import { Supervisor } from './launch.js';
import { bootId, isAlive } from './proc.js';
import { NewReplicaNotReady, rollReplicas, type ReplicaOps } from './rolling.js';
import { readReplica, replicaPath, writeReplica, type ReplicaRecord } from './state.js';

afterEach(resetWork);
after(removeAll);

const spec = (cwd: string, script: string) => ({
  command: process.execPath,
  args: ['-e', script],
  cwd,
  replicas: 1,
  rollingUpdate: { progressDeadline: '30s' },
});

/** A pid that existed and is gone (reaped), so /proc shows it dead at once. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid;
}

describe('Supervisor exits', () => {
  it('exitRecorded resolves once the exit code is in the replica record', () =>
    withProcess(async (h, sb) => {
      const { desired } = await h.load(spec(sb.targetDir, 'process.exit(3)'));
      const supervisor = new Supervisor();
      const rec = await supervisor.start(desired, 0, { restarts: 0, failures: 0 }, 'token');
      writeReplica(desired.stateDir, rec);
      assert.equal(supervisor.isChild(rec.process!.pid), true);
      await supervisor.exitRecorded(rec.process!.pid, 30_000);
      assert.equal(isAlive(rec.process!), false);
      const recorded = readReplica(replicaPath(desired.stateDir, 0));
      assert.deepEqual(
        { pid: recorded?.lastExit?.pid, code: recorded?.lastExit?.code },
        { pid: rec.process!.pid, code: 3 },
      );
      assert.equal(supervisor.isChild(rec.process!.pid), false);
    }));
});

describe('rolling update and unrecorded exits', () => {
  it('a new replica dead in /proc is judged by its recorded exit, not before', () =>
    withProcess(async (h, sb) => {
      const { desired, ctx } = await h.load(spec(sb.targetDir, 'process.exit(3)'));
      assert.equal(desired.stateDir, STATE_DIR);
      const record = (pid: number, digest: string): ReplicaRecord => ({
        version: 1,
        index: 0,
        process: { pid, startTime: 1, bootId: bootId() },
        token: 'token',
        digest,
        started: desired.started,
        restarts: 0,
        failures: 0,
        startedAt: Date.now(),
      });
      const old = record(deadPid(), 'old');
      writeReplica(desired.stateDir, old);
      const recordedLate: number[] = [];
      const ops: ReplicaOps = {
        start: async () => {
          const rec = record(deadPid(), desired.digest);
          writeReplica(desired.stateDir, rec);
          return rec;
        },
        stop: async () => undefined,
        // Node reaps the child later than /proc shows it dead: the exit is written only now.
        exitRecorded: async (pid) => {
          await new Promise((r) => setTimeout(r, 50));
          const rec = readReplica(replicaPath(desired.stateDir, 0));
          if (rec?.process?.pid === pid) {
            writeReplica(desired.stateDir, {
              ...rec,
              lastExit: { pid, code: 3, signal: null, at: Date.now() },
            });
            recordedLate.push(pid);
          }
        },
      };
      let caught: unknown;
      await rollReplicas(desired, new Map([[0, old]]), [old], ops, ctx).catch(
        (err: unknown) => (caught = err),
      );
      assert.ok(caught instanceof NewReplicaNotReady, `expected NewReplicaNotReady, got ${String(caught)}`);
      assert.match(caught.message, /replica 0 exited \(exit code 3\) before it was ready/);
      assert.equal(recordedLate.length, 2, 'waited for the old and the new replica exits');
    }));
});
