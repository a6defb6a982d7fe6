/**
 * The state lock end to end: a second apply while one runs fails with a clear
 * "locked" message naming the holder, or waits with --lock-timeout and then
 * finds nothing left to do; a lock left by a kill -9 does not block.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { exited, json, sandbox, waitFor, type Sandbox } from './helpers.js';

/** An Exec that blocks until the test creates `release`; it appends to runs.log each time it runs. */
function blocking(s: Sandbox): void {
  s.write({
    'm/slow.yaml': `kind: Exec
metadata: { name: slow }
spec:
  check: test -f ${s.path('done')}
  apply: echo run >> ${s.path('runs.log')}; while [ ! -f ${s.path('release')} ]; do sleep 0.02; done; touch ${s.path('done')}
---
kind: File
metadata: { name: f }
spec: { path: ${s.path('f.txt')}, content: "f\\n" }
`,
  });
}

/** Whether process `pid` has `path` open (Linux /proc). */
function hasOpen(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Starts an apply that holds the lock until `release` exists. */
async function holding(s: Sandbox) {
  const child = s.spawn(['apply', '-f', 'm', '--yes']);
  const done = exited(child);
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`the first apply exited early (${child.exitCode})`);
    return existsSync(s.path('runs.log'));
  }, 'the first apply to be running');
  return { child, done };
}

describe('state lock', () => {
  test('a second apply while one is running fails at once, naming the holder, and changes nothing', async () => {
    const s = sandbox();
    blocking(s);
    const first = await holding(s);

    const second = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      new RegExp(
        `error: the state is locked by another run: apply, pid ${first.child.pid} on ${hostname()}, since \\S+ \\(\\d+s\\)`,
      ),
    );
    assert.match(second.stderr, /hint: wait for it to finish, or pass --lock-timeout 60s to wait/);
    assert.equal(second.stdout, '');

    const asJson = json<{ error: { code: string; message: string } }>(
      s.run(['apply', '-f', 'm', '--yes', '--json']),
    );
    assert.equal(asJson.error.code, 'SETPOINT_STATE_LOCKED');
    assert.match(asJson.error.message, new RegExp(`apply, pid ${first.child.pid} on`));

    // Reading commands are not blocked by the lock.
    assert.equal(s.run(['status']).code, 0);
    assert.equal(s.run(['plan', '-f', 'm']).code, 0);

    writeFileSync(s.path('release'), '');
    const r = await first.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(s.path('runs.log'), 'utf8'), 'run\n', 'the refused apply ran nothing');
  });

  test('serve refused by a held lock says who holds it (what, pid, host, since) and never suggests --lock-timeout', async () => {
    const s = sandbox();
    blocking(s);
    const first = await holding(s);
    // serve has no --lock-timeout: its hint says who holds the lock and what to do instead.
    const serve = s.run(['serve', '-f', 'm', '--no-listen']);
    assert.equal(serve.code, 1, serve.stderr);
    assert.match(
      serve.stderr,
      new RegExp(`error: the state is locked by another run: apply, pid ${first.child.pid} on ${hostname()}`),
    );
    assert.match(
      serve.stderr,
      new RegExp(
        `hint: wait for that apply to finish \\(pid ${first.child.pid} on ${hostname()}\\), then start serve again`,
      ),
    );
    assert.doesNotMatch(serve.stderr, /--lock-timeout/);
    writeFileSync(s.path('release'), '');
    assert.equal((await first.done).code, 0);
  });

  test('with --lock-timeout the second apply waits for the first, then finds nothing to do', async () => {
    const s = sandbox();
    blocking(s);
    const first = await holding(s);

    const second = s.spawn(['apply', '-f', 'm', '--yes', '--lock-timeout', '2m']);
    const secondDone = exited(second);
    // It has opened the state (so it met the lock) and is waiting, not failing, while the first holds it.
    await waitFor(() => {
      if (second.exitCode !== null)
        throw new Error(`the second apply did not wait (exit ${second.exitCode})`);
      return hasOpen(second.pid!, s.state);
    }, 'the second apply to open the state');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(second.exitCode, null, 'the second apply waits');

    writeFileSync(s.path('release'), '');
    const [r1, r2] = await Promise.all([first.done, secondDone]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r1.stdout, /changed: 2 /);
    assert.match(r2.stdout, /changed: 0 .*in sync: 2/, 'the second planned after the first finished');
    assert.equal(readFileSync(s.path('runs.log'), 'utf8'), 'run\n', 'the command ran once');
  });

  test('a lock left by a killed (kill -9) apply does not block the next one', async () => {
    const s = sandbox();
    blocking(s);
    const first = await holding(s);
    first.child.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    // Let the orphaned shell of the killed run finish too.
    writeFileSync(s.path('release'), '');

    const next = s.run(['apply', '-f', 'm', '--yes']);
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /locked/);
    assert.equal(s.run(['drift', '-f', 'm']).code, 0);
  });
  test('an apply paused (SIGSTOP) past its lease stops when it resumes: the run that took over keeps its files, and the takeover is audited', async () => {
    const s = sandbox();
    const targets = Array.from({ length: 20 }, (_, i) => s.path(`f${i}.txt`));
    const files = (content: string, after: string) =>
      targets
        .map(
          (path, i) =>
            `kind: File\nmetadata: { name: f${i} }\n${after}spec: { path: ${path}, content: "${content}\\n" }\n`,
        )
        .join('---\n');
    s.write({
      // A: a command that blocks (so the test can pause A between actions), then 20 files after it.
      'a/m.yaml': `kind: Exec
metadata: { name: slow }
spec:
  check: test -f ${s.path('done')}
  apply: echo run >> ${s.path('runs.log')}; while [ ! -f ${s.path('release')} ]; do sleep 0.02; done; touch ${s.path('done')}
---
${files('old', 'dependsOn: [Exec/slow]\n')}`,
      // B: newer content for the same files.
      'b/m.yaml': files('new', ''),
    });
    const env = { SETPOINT_LOCK_TTL_MS: '1000' };
    const a = s.spawn(['apply', '-f', 'a', '--yes'], { env });
    const aDone = exited(a);
    await waitFor(() => {
      if (a.exitCode !== null) throw new Error(`apply A exited early (${a.exitCode})`);
      return existsSync(s.path('runs.log'));
    }, 'apply A to run its blocking command');
    a.kill('SIGSTOP');
    let b;
    try {
      // B waits for A's lease to expire, takes the lock over and applies the newer content.
      b = s.run(['apply', '-f', 'b', '--yes', '--lock-timeout', '1m'], { env });
    } finally {
      writeFileSync(s.path('release'), '');
      a.kill('SIGCONT');
    }
    assert.equal(b.code, 0, b.stderr);
    const ra = await aDone;

    assert.notEqual(ra.code, 0, `A must fail: ${ra.stdout}${ra.stderr}`);
    assert.match(
      ra.stderr,
      new RegExp(`error: lost the state lock to ${hostname()}:\\d+ apply \\(term 2\\)`),
    );
    for (const path of targets)
      assert.equal(readFileSync(path, 'utf8'), 'new\n', `${path} keeps B's content`);

    const takeovers = json<Array<{ actor: string; detail: Record<string, unknown> }>>(
      s.run(['audit', '--action', 'lock.takeover', '--json']),
    );
    assert.equal(takeovers.length, 1);
    assert.equal(takeovers[0].detail.from, `${hostname()}:${a.pid} apply`);
    assert.equal(takeovers[0].detail.fromTerm, 1);
    assert.equal(takeovers[0].detail.term, 2);
    assert.equal(takeovers[0].detail.reason, 'expired');
    // A wrote nothing after it lost the lock: the chain is intact and has no apply entry of A's files.
    assert.equal(s.run(['audit', 'verify']).code, 0);
    const applied = json<Array<{ resourceId?: string; result: string }>>(
      s.run(['audit', '--action', 'apply.create', '--json']),
    );
    assert.equal(
      applied.filter((e) => e.resourceId?.startsWith('File/')).length,
      20,
      'only B created the files',
    );
  });
});
