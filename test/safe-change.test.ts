/**
 * Safe change with real processes and a real HTTP service: a 2-replica
 * Process changed to a broken command stops at the first replica that is not
 * ready, goes back to the working command, never has both replicas down
 * (a poller hits each replica's port every 100 ms) and `apply` exits 1
 * saying why. A changed File restarts a Process that names it in restartOn,
 * one replica at a time; an unknown id there is a validation error at its
 * field.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { freePorts } from './support/ports.js';
import { after, describe, it } from 'node:test';
import { exited, json, sandbox, type Sandbox } from './helpers.js';

const sandboxes: Sandbox[] = [];
after(() => {
  // Every replica runs a script inside a sandbox: kill what is left of them.
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (sandboxes.some((s) => cmdline.includes(s.dir))) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
});

/** Answers every request with its pid (so a poller sees which process served). */
const SERVER = `require('http').createServer((q, s) => s.end(String(process.pid))).listen(Number(process.argv[2]), '127.0.0.1');\n`;
/** Starts and keeps running, but never listens: it never becomes ready. */
const SILENT = 'setInterval(() => {}, 1000);\n';

function processDoc(s: Sandbox, script: string, port: number, extra = ''): string {
  return `kind: Process
metadata: { name: web }
spec:
  command: ${process.execPath}
  args: [${s.path(script)}, '\${replica+${port}}']
  cwd: ${s.dir}
  replicas: 2
  gracePeriod: 1s
  readiness: { http: { url: 'http://127.0.0.1:\${replica+${port}}/' }, period: 100ms, timeout: 300ms }
  rollingUpdate: { progressDeadline: 2s }
${extra}`;
}

interface Sample {
  at: number;
  /** The pid that answered on each replica's port, or undefined when it did not answer. */
  pids: Array<number | undefined>;
}

async function hit(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
    return res.ok ? Number(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Polls both replicas every 100 ms until stopped. */
function poller(port: number): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      samples.push({ at, pids: await Promise.all([hit(port), hit(port + 1)]) });
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - at))));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function bothServe(port: number): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pids = await Promise.all([hit(port), hit(port + 1)]);
    const serving = pids.filter((p): p is number => p !== undefined);
    if (serving.length === 2) return serving;
    if (Date.now() > deadline) throw new Error(`the replicas on ${port} and ${port + 1} never both served`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function events(
  s: Sandbox,
): Array<{ reason: string; message: string; resourceId?: string; revisionId?: string }> {
  return json(s.run(['events', 'Process/default/web', '--json', '-n', '500']));
}

describe('safe change: a broken Process update', () => {
  it('stops at the first replica, rolls back to the working command, never takes both down, and apply exits 1', async () => {
    const s = sandbox('setpoint-safe-change-');
    sandboxes.push(s);
    const port = await freePorts(2);
    s.write({ 'server.js': SERVER, 'silent.js': SILENT, 'm/web.yaml': processDoc(s, 'server.js', port) });
    const first = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const working = await bothServe(port);

    const poll = poller(port);
    s.write({ 'm/web.yaml': processDoc(s, 'silent.js', port) });
    const broken = await exited(s.spawn(['apply', '-f', 'm', '--yes']));
    const served = await bothServe(port);
    await new Promise((r) => setTimeout(r, 300));
    await poll.stop();

    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    const said = broken.stdout + broken.stderr;
    assert.match(said, /Process\/default\/web/);
    assert.match(said, /update rolled back/);
    assert.match(said, /replica 0 was not ready within 2s \(progressDeadline\)/);

    // Never both down; replica 1 kept serving with its old process throughout.
    const bothDown = poll.samples.filter((x) => x.pids.every((p) => p === undefined));
    assert.deepEqual(bothDown, [], 'no moment without a ready replica');
    assert.ok(
      poll.samples.some((x) => x.pids[0] === undefined),
      'the poller saw replica 0 go down (it can see a failure)',
    );
    assert.ok(
      poll.samples.every((x) => x.pids[1] === working[1]),
      'replica 1 was never touched',
    );
    assert.equal(served[1], working[1]);
    assert.notEqual(served[0], working[0], 'replica 0 runs the working command again, as a new process');

    const reasons = events(s);
    for (const reason of ['RolloutStalled', 'ReplicaRolledBack', 'RolledBack']) {
      const e = reasons.find((x) => x.reason === reason);
      assert.ok(e, `a ${reason} event in ${reasons.map((x) => x.reason).join(', ')}`);
      assert.equal(e.resourceId, 'Process/default/web');
      assert.ok(e.revisionId, `${reason} names the revision`);
    }
    const status = json<{ resources: Array<{ id: string; sync: string }> }>(s.run(['status', '--json']));
    assert.equal(status.resources.find((r) => r.id === 'Process/default/web')?.sync, 'Failed');

    // The same broken spec again: refused at once, nothing is taken down.
    const again = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stdout + again.stderr, /update rolled back/);
    assert.deepEqual(await bothServe(port), served);
  });
});

describe('safe change: restartOn', () => {
  it('a changed File restarts the Process that names it, one replica at a time', async () => {
    const s = sandbox('setpoint-restart-on-');
    sandboxes.push(s);
    const port = await freePorts(2);
    const manifest = (value: string) => `kind: File
metadata: { name: conf }
spec:
  path: ${s.path('out', 'web.conf')}
  content: "value=${value}\\n"
---
${processDoc(s, 'server.js', port, '  restartOn: [File/conf]\n').replace('progressDeadline: 2s', 'progressDeadline: 5s, minReady: 1s')}`;
    s.write({ 'server.js': SERVER, 'out/.keep': '', 'm/web.yaml': manifest('1') });
    const first = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const before = await bothServe(port);

    const poll = poller(port);
    s.write({ 'm/web.yaml': manifest('2') });
    const changed = await exited(s.spawn(['apply', '-f', 'm', '--yes']));
    const afterPids = await bothServe(port);
    await poll.stop();
    assert.equal(changed.code, 0, changed.stdout + changed.stderr);

    assert.ok(
      afterPids.every((p, i) => p !== before[i]),
      'both replicas restarted',
    );
    assert.deepEqual(
      poll.samples.filter((x) => x.pids.every((p) => p === undefined)),
      [],
      'never both down',
    );
    // One at a time: replica 0 served from its new process while replica 1 still ran its old one
    // (minReady: 1s holds that moment open long enough for a 100 ms poller on a busy machine).
    assert.ok(
      poll.samples.some((x) => x.pids[0] === afterPids[0] && x.pids[1] === before[1]),
      'a moment with replica 0 restarted and replica 1 not yet',
    );
    assert.ok(events(s).some((e) => e.reason === 'Notified' && /restarted 2 replicas/.test(e.message)));

    // A run that changes nothing restarts nothing.
    assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
    assert.deepEqual(await bothServe(port), afterPids);
  });

  it('an unknown id in restartOn is an error at its file, line and field', () => {
    const s = sandbox('setpoint-restart-on-bad-');
    s.write({
      'm/web.yaml': `kind: Process
metadata: { name: web }
spec:
  command: /bin/sleep
  args: ['1000']
  restartOn: [File/nope]
`,
    });
    const r = s.run(['validate', '-f', 'm']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /web\.yaml:6:\d+/);
    assert.match(r.stderr, /Process\/default\/web/);
    assert.match(r.stderr, /spec\.restartOn\[0\]/);
    assert.match(r.stderr, /File\/default\/nope, which is not declared/);
  });
});
