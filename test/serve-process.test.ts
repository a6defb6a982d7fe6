// The Process kind under serve, with real child processes: a killed replica is back within its
// backoff; serve stopped (SIGTERM) or killed (kill -9) and restarted adopts running replicas and
// never duplicates them; stopWithServe replicas stop with serve.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

import { after, describe, it, type TestContext } from 'node:test';
import { cli, cliSpawn, json, startServe, tempDir, writeFiles, type Serving } from './helpers.js';
import { apiUrl, sample } from './observability-kit.js';
import { plain, readState } from './state-reader.js';

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Live (non-zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(marker) && state !== 'Z') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const started: Array<ReturnType<typeof cliSpawn>> = [];
const markers: string[] = [];
after(() => {
  for (const c of started) c.kill('SIGKILL');
  for (const m of markers) for (const pid of processesWith(m)) process.kill(pid, 'SIGKILL');
});

function project(replicas: number, extra = '') {
  const dir = tempDir();
  const marker = `setpoint-test-sleeper-${Math.random().toString(36).slice(2)}`;
  markers.push(marker);
  writeFiles(dir, {
    'setpoint.yaml': 'reconcile: { resync: 2s }\n',
    'manifests/p.yaml': `kind: Process\nmetadata: { name: sleeper }\nspec:\n  command: ${process.execPath}\n  args: ["-e", "setInterval(() => {}, 1000)", "${marker}"]\n  replicas: ${replicas}\n  backoff: { initial: 200ms, max: 1s }\n${extra}`,
  });
  return { dir, marker };
}

function serve(dir: string) {
  const child = cliSpawn(['serve'], { cwd: dir });
  started.push(child);
  return child;
}

async function stop(child: ReturnType<typeof cliSpawn>, signal: NodeJS.Signals): Promise<number | null> {
  child.kill(signal);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

interface Row {
  id: string;
  sync: string;
  health: string;
  healthMessage?: string;
  driftedSince?: string;
}

/** The resource's record as `status --json` has it, read from the state in this process (polled: no CLI start per look). */
function record(dir: string, id: string): Promise<Row | undefined> {
  return readState({ cwd: dir }, async (api) =>
    plain<Row[]>((await api.status()).resources).find((x) => x.id === id),
  );
}

/** serve with its metrics on an ephemeral port (to count reconciles instead of sleeping); a short resync to wait less for one. */
async function servedWithMetrics(t: TestContext, dir: string): Promise<Serving & { url: string }> {
  writeFiles(dir, {
    'setpoint.yaml': 'reconcile: { resync: 1s }\nserver: { listen: "127.0.0.1:0", metrics: public }\n',
  });
  const serving = await startServe(t, dir);
  return { ...serving, url: apiUrl(serving.stderr()) };
}

/** Waits until serve has reconciled twice more than now: one of them a resync after its start. */
async function reconciledTwice(serving: { url: string }): Promise<void> {
  const count = async () =>
    sample(await (await fetch(`${serving.url}/metrics`)).text(), 'setpoint_reconciles_total');
  const start = await count();
  const deadline = Date.now() + 20_000;
  while ((await count()) < start + 2) {
    if (Date.now() > deadline) throw new Error('timed out waiting for two reconciles');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Process under serve', () => {
  it('a replica killed -9 is back (the other untouched) as a restart and a health event, not as drift', async (t) => {
    const { dir, marker } = project(2);
    writeFiles(dir, {
      'setpoint.yaml': 'reconcile: { resync: 2s }\nserver: { listen: "127.0.0.1:0", metrics: public }\n',
    });
    const serving = await startServe(t, dir);
    const url = apiUrl(serving.stderr());
    const id = 'Process/default/sleeper';
    const pids = await waitFor('2 replicas, in sync', async () =>
      processesWith(marker).length === 2 && (await record(dir, id))?.sync === 'InSync'
        ? processesWith(marker)
        : undefined,
    );
    process.kill(pids[0], 'SIGKILL');
    const next = await waitFor('a replacement replica, healthy', async () => {
      const now = processesWith(marker);
      const r = await record(dir, id);
      return now.length === 2 && !now.includes(pids[0]) && r?.health === 'Healthy' ? now : undefined;
    });
    assert.ok(next.includes(pids[1]), 'the other replica was not touched');
    const r = (await record(dir, id))!;
    assert.equal(r.sync, 'InSync');
    assert.equal(r.driftedSince, undefined, 'never recorded as drifted');
    const events = json<Array<{ reason: string; message: string }>>(
      cli(['events', id, '--json', '-n', '500'], { cwd: dir }),
    );
    assert.ok(
      events.some((e) => e.reason === 'ReplicaRestarted' && e.message.includes('killed by SIGKILL')),
      `a ReplicaRestarted event: ${JSON.stringify(events)}`,
    );
    const reasons = events.map((e) => e.reason);
    assert.ok(!reasons.includes('DriftDetected'), `no drift event: ${reasons.join(', ')}`);
    assert.ok(!reasons.includes('Remediated'), `no remediation: ${reasons.join(', ')}`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(sample(metrics, 'setpoint_drift_events_total', { kind: 'Process' }), 0);
    assert.equal(sample(metrics, 'setpoint_drift_ratio'), 0);
    assert.equal(sample(metrics, 'setpoint_remediations_total', { kind: 'Process' }), 0);
    assert.equal((await serving.stop('SIGTERM')).code, 0);
  });

  it('after SIGTERM, running replicas keep running and the next serve adopts them without duplicates', async (t) => {
    const { dir, marker } = project(2);
    const first = serve(dir);
    const pids = await waitFor('2 replicas', () =>
      processesWith(marker).length === 2 ? processesWith(marker) : undefined,
    );
    assert.equal(await stop(first, 'SIGTERM'), 0);
    assert.deepEqual(processesWith(marker).sort(), [...pids].sort(), 'replicas outlive serve');
    const second = await servedWithMetrics(t, dir);
    // Until it has reconciled twice after start (once more on a resync): no new replica may appear.
    await reconciledTwice(second);
    assert.deepEqual(processesWith(marker).sort(), [...pids].sort(), 'adopted, not duplicated');
    assert.equal((await second.stop('SIGTERM')).code, 0);
  });

  it('after kill -9 of serve, the restart adopts the replicas and still restarts a dead one', async (t) => {
    const { dir, marker } = project(2);
    const first = serve(dir);
    const pids = await waitFor('2 replicas', () =>
      processesWith(marker).length === 2 ? processesWith(marker) : undefined,
    );
    await stop(first, 'SIGKILL');
    process.kill(pids[1], 'SIGKILL');
    const second = await servedWithMetrics(t, dir);
    const after = await waitFor('2 replicas again', () => {
      const now = processesWith(marker);
      return now.length === 2 && !now.includes(pids[1]) ? now : undefined;
    });
    assert.ok(after.includes(pids[0]), 'the surviving replica was adopted, not restarted');
    await reconciledTwice(second);
    assert.equal(processesWith(marker).length, 2, 'no duplicates after a resync');
    assert.equal((await second.stop('SIGTERM')).code, 0);
  });

  it('stopWithServe replicas stop when serve stops', async () => {
    const { dir, marker } = project(1, '  stopWithServe: true\n');
    const child = serve(dir);
    await waitFor('1 replica', () => processesWith(marker).length === 1);
    assert.equal(await stop(child, 'SIGTERM'), 0);
    await waitFor('no replica', () => processesWith(marker).length === 0, 15_000);
  });
});
