/**
 * Readiness probes against real servers: http, tcp and exec report
 * Progressing until the replicas are ready, then Healthy; watch reports the
 * flip; a rolling update waits for the restarted replica to be ready before
 * taking down the next one.
 */
import { removeAll, resetWork, waitFor, withProcess, type ProcessHarness } from './testkit.js';
import assert from 'node:assert/strict';
import { freePorts } from '../../../test/support/ports.js';
import { after, afterEach, describe, it } from 'node:test';
import { type Sandbox } from '../../provider/conformance.js';

afterEach(resetWork);
after(removeAll);

/** Listens on argv[1] after `delayMs`: http answers 200 on /healthz, 404 elsewhere. */
const httpServer = (delayMs: number) =>
  `setTimeout(() => require('http').createServer((q, s) => { s.statusCode = q.url === '/healthz' ? 200 : 404; s.end(); }).listen(Number(process.argv[1]), '127.0.0.1'), ${delayMs}); setTimeout(() => {}, 120000)`;
const tcpServer = (delayMs: number) =>
  `setTimeout(() => require('net').createServer((c) => c.end()).listen(Number(process.argv[1]), '127.0.0.1'), ${delayMs}); setTimeout(() => {}, 120000)`;

/** A spec whose replicas get `${replica+port}` as argv[1]. */
const base = (
  sb: Sandbox,
  script: string,
  { port = 0, ...extra }: Record<string, unknown> & { port?: number },
) => ({
  command: process.execPath,
  args: ['-e', script, `\${replica+${port}}`],
  cwd: sb.targetDir,
  replicas: 2,
  gracePeriod: '2s',
  ...extra,
});

/** Converges, checks Progressing right after the apply, then waits for Healthy. */
async function progressingThenHealthy(h: ProcessHarness, raw: unknown): Promise<void> {
  const { r, actual } = await h.converge(raw);
  assert.deepEqual(
    actual.replicas.map((x) => [x.running, x.ready]),
    [
      [true, false],
      [true, false],
    ],
  );
  assert.deepEqual(h.provider.health!(r.desired, actual), {
    status: 'Progressing',
    message: '0 of 2 replicas ready',
  });
  await waitFor(
    'both replicas to be ready',
    async () => h.provider.health!(r.desired, await h.observe(r)).status === 'Healthy',
  );
  assert.deepEqual(h.provider.health!(r.desired, await h.observe(r)), {
    status: 'Healthy',
    message: '2 of 2 replicas ready',
  });
}

describe('Process readiness', () => {
  it('http: Progressing until GET answers the expected status, then Healthy', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      const readiness = {
        http: { url: `http://127.0.0.1:\${replica+${port}}/healthz` },
        period: '100ms',
        timeout: '500ms',
      };
      await progressingThenHealthy(h, base(sb, httpServer(400), { port, readiness }));
    }));

  it('http: a status other than expectStatus is not ready', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(1);
      const readiness = { http: { url: `http://127.0.0.1:\${replica+${port}}/other` }, period: '100ms' };
      const { r } = await h.converge(base(sb, httpServer(0), { port, readiness, replicas: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await h.observe(r))?.replicas[0].ready, false);
      const expect404 = await h.load(
        base(sb, httpServer(0), {
          port,
          replicas: 1,
          readiness: { ...readiness, http: { ...readiness.http, expectStatus: 404 } },
        }),
      );
      assert.equal((await h.observe(expect404))?.replicas[0].ready, true);
    }));

  it('tcp: Progressing until the port accepts connections, then Healthy', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      const readiness = { tcp: { port: `\${replica+${port}}` }, period: '100ms', timeout: '500ms' };
      await progressingThenHealthy(h, base(sb, tcpServer(400), { port, readiness }));
    }));

  it('exec: Progressing until the command exits 0 (in the replica cwd, with its env), then Healthy', () =>
    withProcess(async (h, sb) => {
      const script =
        "setTimeout(() => require('fs').writeFileSync('ready-' + process.env.SETPOINT_REPLICA, ''), 400); setTimeout(() => {}, 120000)";
      const readiness = { exec: { command: 'test -f ready-$SETPOINT_REPLICA' }, period: '100ms' };
      await progressingThenHealthy(h, base(sb, script, { readiness }));
    }));

  it('initialDelay: not ready before it has passed', () =>
    withProcess(async (h, sb) => {
      const readiness = { exec: { command: 'true' }, initialDelay: '500ms' };
      const { r, actual } = await h.converge(
        base(sb, 'setTimeout(() => {}, 120000)', { replicas: 1, readiness }),
      );
      assert.equal(actual.replicas[0].ready, false);
      await new Promise((resolve) => setTimeout(resolve, 550));
      assert.equal((await h.observe(r))?.replicas[0].ready, true);
    }));

  it('watch reports a readiness flip, so health is refreshed without a resync', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(1);
      const readiness = { tcp: { port: `\${replica+${port}}` }, period: '100ms', timeout: '300ms' };
      const { r } = await h.converge(base(sb, tcpServer(500), { port, readiness, replicas: 1 }));
      const changed: string[] = [];
      const w = h.provider.watch!([{ id: r.ctx.id, spec: r.spec }], (id) => changed.push(id), assert.fail);
      try {
        await waitFor('the readiness flip', () => changed.length > 0, 3000);
        assert.equal((await h.observe(r))?.replicas[0].ready, true);
      } finally {
        await w.dispose();
      }
    }));

  it('a rolling update restarts one replica at a time, waiting for readiness in between', () =>
    withProcess(async (h, sb) => {
      const port = await freePorts(2);
      const readiness = {
        http: { url: `http://127.0.0.1:\${replica+${port}}/healthz` },
        period: '100ms',
        timeout: '300ms',
      };
      const v1 = base(sb, httpServer(300), { port, readiness });
      const { r } = await h.converge(v1);
      await waitFor(
        'v1 to be ready',
        async () => h.provider.health!(r.desired, await h.observe(r)).status === 'Healthy',
      );
      const v2 = await h.load({ ...v1, env: { VERSION: '2' } });
      const before = await h.observe(v2);
      assert.deepEqual(h.diff(v2, before), [{ path: 'spec.env.VERSION', old: undefined, new: '2' }]);
      const started = Date.now();
      const after = await h.apply(v2, before);
      assert.ok(
        Date.now() - started >= 300,
        'the apply waited for replica 0 to be ready before stopping replica 1',
      );
      assert.ok(after.replicas[0].ready, 'replica 0 was ready when replica 1 was restarted');
      assert.ok(after.replicas.every((x) => x.digest === v2.desired.digest));
      assert.ok(after.replicas.every((x, i) => x.pid !== before!.replicas[i].pid));
    }));
});
