/**
 * `setpoint serve` end to end, thrash guard: a script that keeps rewriting a
 * managed file (another actor fighting setpoint) drives it to Conflict after
 * K repairs; remediation stops until `setpoint resume`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, startServe } from './helpers.js';
import { fileDoc, project, replaceFile } from './serve-kit.js';

const K = 3;

describe('serve: thrash guard', () => {
  test(`a script rewriting a managed file drives it to Conflict after ${K} repairs; resume lets serve repair it again`, async (t) => {
    const p = project({}, `reconcile:\n  resync: 2s\n  thrash: { maxRemediations: ${K}, window: 1h }\n`);
    const target = join(p.out, 'resolv.conf');
    const id = 'File/default/resolv';
    p.write({ 'manifests/dns.yaml': fileDoc('resolv', target, 'nameserver 10.0.0.1\n') });
    await startServe(t, p.dir);
    await eventually(async () => (await p.record(id))?.sync === 'InSync', 'the first convergence');

    // Another actor: a shell loop rewriting the file (a TERM ends it between writes, never in the middle of one).
    const fighter = spawn(
      'sh',
      ['-c', `trap 'exit 0' TERM; while true; do echo 'nameserver 8.8.8.8' > '${target}'; sleep 0.05; done`],
      { stdio: 'ignore' },
    );
    const fighterExit = new Promise<void>((resolve) => fighter.on('exit', () => resolve()));
    t.after(() => {
      if (fighter.exitCode === null && fighter.signalCode === null) fighter.kill('SIGKILL');
    });

    const conflict = await eventually(async () => {
      const r = await p.record(id);
      return r?.sync === 'Conflict' ? r : undefined;
    }, 'the resource to be marked Conflict');
    const condition = conflict.conditions.find((c) => c.type === 'Synced');
    assert.equal(condition?.reason, 'Conflict');
    assert.match(condition?.message ?? '', /spec\.content keeps flipping/);

    const events = await p.events(id);
    const warning = events.find((e) => e.reason === 'Conflict');
    assert.equal(warning?.type, 'Warning');
    assert.match(
      warning.message,
      new RegExp(
        `^repaired ${K} times in 60m; spec\\.content keeps flipping: another actor is changing it\\. Remediation stopped; it resumes on a new revision or \`setpoint resume ${id}\`$`,
      ),
    );
    const repairsBefore = events.slice(0, events.indexOf(warning)).filter((e) => e.reason === 'Remediated');
    assert.equal(repairsBefore.length, K, `exactly ${K} repairs before the Conflict`);
    assert.match(p.ok(['status']).stdout, new RegExp(`^${id}\\s+Conflict\\s`, 'm'));

    // The fight stops; setpoint does not touch the file while in Conflict.
    fighter.kill('SIGTERM');
    await fighterExit;
    const stopped = (await p.record(id)) as { lastObservedAt?: string } | undefined;
    await eventually(async () => {
      const r = (await p.record(id)) as { lastObservedAt?: string; sync?: string } | undefined;
      return r?.sync === 'Conflict' && (r.lastObservedAt ?? '') > (stopped?.lastObservedAt ?? '');
    }, 'serve to look at the resource again (a resync) and keep it in Conflict');
    assert.equal(p.read(target), 'nameserver 8.8.8.8\n', 'no repair while in Conflict');
    assert.equal(
      (await p.events(id)).filter((e) => e.reason === 'Remediated').length,
      K,
      'no repair after the Conflict',
    );

    const resumed = p.ok(['resume', id]);
    assert.equal(resumed.stdout.trim(), `resumed ${id}`);
    await eventually(
      async () => p.read(target) === 'nameserver 10.0.0.1\n' && (await p.record(id))?.sync === 'InSync',
      'serve to repair the file after resume',
    );
    assert.equal((await p.events(id)).filter((e) => e.reason === 'Remediated').length, K + 1);
  });
});

describe('serve: resume', () => {
  test('`setpoint resume` is not lost to a Conflict record serve is about to write', async (t) => {
    // A resync every 100ms: serve re-records the Conflict all the time, so the resume's own write to
    // the store often races with a record serve still holds in its write buffer. Several rounds.
    const p = project({}, 'reconcile:\n  resync: 100ms\n  thrash: { maxRemediations: 1, window: 1h }\n');
    const target = join(p.out, 'app.conf');
    const id = 'File/default/conf';
    p.write({ 'manifests/app.yaml': fileDoc('conf', target, 'good\n') });
    await startServe(t, p.dir);
    await eventually(async () => (await p.record(id))?.sync === 'InSync', 'the first convergence');
    // One repair is allowed (K = 1); each later change marks it Conflict, and each resume allows one repair again.
    replaceFile(target, 'bad\n');
    await eventually(
      async () => p.read(target) === 'good\n' && (await p.record(id))?.sync === 'InSync',
      'the one repair allowed',
    );
    for (let round = 1; round <= 5; round++) {
      replaceFile(target, `bad ${round}\n`);
      await eventually(
        async () => (await p.record(id))?.sync === 'Conflict',
        `round ${round}: the change to mark it Conflict`,
      );
      assert.equal(p.read(target), `bad ${round}\n`);

      p.ok(['resume', id]);
      await eventually(
        async () => p.read(target) === 'good\n' && (await p.record(id))?.sync === 'InSync',
        `round ${round}: serve to repair it after one resume`,
        20_000,
      );
    }
    assert.equal((await p.events(id)).filter((e) => e.reason === 'Remediated').length, 6);
  });
});
