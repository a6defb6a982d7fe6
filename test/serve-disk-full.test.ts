/**
 * `setpoint serve` with its state on a disk that fills up (issue 11, #2): it
 * does not crash; it stops acting, says why on /readyz (503, the path and the
 * cause) and in `setpoint_serve_degraded`, keeps answering reads, and once
 * space returns it resumes by itself, converges, and every repair it made is
 * in the audit trail. The state lives on a real 2 MB tmpfs (the tests run as
 * root); the disk is filled with a real file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, json } from './helpers.js';
import { startApi } from './server-kit.js';
import { docs, fileDoc, project, replaceFile } from './serve-kit.js';

const FILES = 12;

/** Writes zeros to `path` until the disk says ENOSPC; returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // The last bytes a partial write can still take.
  const fd2 = openSync(path, 'a');
  try {
    for (;;) written += writeSync(fd2, Buffer.alloc(512));
  } catch {
    // full
  } finally {
    closeSync(fd2);
  }
  return written;
}

/** Polls an async probe until it returns something other than undefined/false; throws after `timeoutMs`. */
async function until<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GET with a deadline: a serve that stopped answering fails the test instead of hanging it. */
async function get<T = unknown>(
  url: string,
  path: string,
): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(url + path, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: (json ? JSON.parse(text) : text) as T, text };
}

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('serve: a full state disk', () => {
  test('degrades (503 with the reason, no action), keeps serving reads, resumes by itself and audits every repair', async (t) => {
    const p = project(
      {},
      'state: disk/state.db\nreconcile:\n  resync: 1s\n  backoff: { base: 50ms, max: 1s }\nserver:\n  metrics: public\n',
    );
    const disk = p.path('disk');
    mkdirSync(disk, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    t.after(() => {
      execFileSync('umount', ['-l', disk]);
    });
    const target = (i: number) => join(p.out, `f${i}.conf`);
    p.write({
      'manifests/files.yaml': docs(
        ...Array.from({ length: FILES }, (_, i) => fileDoc(`f${i}`, target(i), `managed ${i}\n`)),
      ),
    });
    const serve = await startApi(t, p, ['--log-format', 'json']);
    await eventually(
      () =>
        Array.from({ length: FILES }, (_, i) => p.read(target(i))).every((c, i) => c === `managed ${i}\n`),
      'the first convergence',
    );
    const ready = async () => get<{ ready: boolean; reason?: string }>(serve.url, '/readyz');
    assert.equal((await ready()).status, 200);

    // Fill the disk, then make work (hand edits of managed files) until a write fails.
    const filler = join(disk, 'filler');
    fill(filler);
    const since = new Date().toISOString();
    const edited = new Set<number>();
    let n = 0;
    const degraded = await until(
      async () => {
        const i = n++ % FILES;
        replaceFile(target(i), `edited by hand ${n}\n`);
        edited.add(i);
        const r = await ready();
        return r.status === 503 ? r : undefined;
      },
      'readiness to say the state cannot be written',
      60_000,
      100,
    );
    assert.equal(serve.child.exitCode, null, 'serve is still running');
    assert.match(
      degraded.body.reason ?? '',
      new RegExp(`cannot write the state ${disk.replace(/[/.]/g, (c) => `\\${c}`)}/state\\.db: SQLITE_FULL`),
      'readiness names the path and the cause',
    );

    // Reads go on: liveness, metrics (with the alert gauge).
    assert.equal((await get(serve.url, '/healthz')).status, 200);
    const metrics = await get(serve.url, '/metrics');
    assert.equal(metrics.status, 200);
    assert.equal(metric(metrics.text, 'setpoint_serve_degraded{reason="state-unwritable"}'), 1);

    // Nothing is acted on while it cannot be recorded: a hand edit seen by the watch and a resync stays.
    const adds = async (trigger: string) =>
      metric(
        (await get(serve.url, '/metrics')).text,
        `setpoint_workqueue_adds_total{trigger="${trigger}"}`,
      ) ?? 0;
    const events0 = await adds('event');
    const resyncs0 = await adds('resync');
    replaceFile(target(0), 'edited while full\n');
    edited.add(0);
    await until(async () => (await adds('event')) > events0, 'the watch to queue the edit');
    await until(async () => (await adds('resync')) > resyncs0, 'a resync to go by');
    assert.equal(p.read(target(0)), 'edited while full\n', 'not repaired while the state cannot record it');
    assert.equal((await ready()).status, 503);
    assert.equal(serve.child.exitCode, null, 'serve is still running');

    // Space returns: serve resumes by itself and converges.
    rmSync(filler);
    await until(async () => (await ready()).status === 200, 'readiness once space returned');
    await eventually(
      () =>
        Array.from({ length: FILES }, (_, i) => p.read(target(i))).every((c, i) => c === `managed ${i}\n`),
      'every hand edit repaired',
    );
    const final = await get(serve.url, '/metrics');
    assert.equal(metric(final.text, 'setpoint_serve_degraded{reason="state-unwritable"}'), 0);

    // Every repair made since the disk filled is in the audit trail, and the episode in the events.
    await eventually(() => {
      const audit = json<Array<{ action: string; resourceId?: string; time: string }>>(
        p.ok(['audit', '--json', '--since', since, '-n', '10000']),
      );
      for (const i of edited)
        assert.ok(
          audit.some((e) => e.resourceId === `File/default/f${i}` && e.action === 'serve.update'),
          `the repair of f${i} is audited`,
        );
      return true;
    }, 'every repair audited');
    const reasons = new Set(
      json<Array<{ reason: string }>>(p.ok(['events', '--json', '-n', '2000'])).map((e) => e.reason),
    );
    for (const r of ['ServeDegraded', 'StateWritable', 'ServeRecovered'])
      assert.ok(reasons.has(r), `event ${r}`);
    assert.equal(serve.child.exitCode, null);
    const stopped = await serve.stop();
    assert.equal(stopped.code, 0, stopped.stderr.slice(-2000));
  });
});
