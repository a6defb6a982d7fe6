/**
 * `setpoint serve` end to end, change windows: a deny window open now holds
 * back a non-critical change (sync Held, with the window and the time it
 * ends; the revision still converges: what is held is not failing), lets a
 * critical one through, and `apply --override-window` acts anyway, audited.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, startServe } from './helpers.js';
import { docs, fileDoc, project } from './serve-kit.js';

describe('serve: change windows', () => {
  test('a deny window blocks a change until it ends; critical work goes through; --override-window acts and is audited', async (t) => {
    // A daily window that opened a minute ago (UTC) and lasts 2h: open now, ends at a known instant.
    const opened = new Date(Math.floor((Date.now() - 60_000) / 60_000) * 60_000);
    const until = new Date(opened.getTime() + 2 * 3600_000).toISOString();
    const settings = [
      'reconcile:',
      '  resync: 2s',
      'windows:',
      '  - name: release-freeze',
      '    type: deny',
      `    schedule: '${opened.getUTCMinutes()} ${opened.getUTCHours()} * * *'`,
      '    duration: 2h',
      '    timezone: UTC',
      '  - name: other-team',
      '    type: deny',
      "    schedule: '* * * * *'",
      '    duration: 1h',
      '    match: { namespaces: [payments] }',
      '',
    ].join('\n');
    const p = project({}, settings);
    const app = join(p.out, 'app.conf');
    const urgent = join(p.out, 'urgent.conf');
    p.write({
      'manifests/app.yaml': docs(
        fileDoc('app', app, 'feature = on\n'),
        fileDoc('urgent', urgent, 'patch = CVE-1\n', { priority: 'critical' }),
      ),
    });
    const serve = await startServe(t, p.dir);

    await eventually(
      async () => (await p.record('File/default/urgent'))?.sync === 'InSync',
      'the critical resource to be applied inside the window',
    );
    assert.equal(p.read(urgent), 'patch = CVE-1\n');
    const blocked = await eventually(async () => {
      const r = await p.record('File/default/app');
      return r?.sync === 'Held' ? r : undefined;
    }, 'the normal resource to be Held');
    assert.equal(blocked.blockedUntil, until, 'the record says until when');
    assert.equal(blocked.held?.reason, 'ChangeWindow');
    assert.equal(blocked.held?.window, 'release-freeze');
    assert.equal(blocked.held?.until, until);
    // Everything not held is in sync: the revision converged.
    await eventually(
      async () => (await p.events()).some((e) => e.reason === 'Converged'),
      'the revision to converge while app is held',
    );
    const condition = blocked.conditions.find((c) => c.type === 'Synced');
    assert.equal(condition?.reason, 'ChangeWindow');
    assert.match(condition?.message ?? '', new RegExp(`deny window "release-freeze" is open until ${until}`));
    assert.equal(existsSync(app), false, 'nothing was written');

    const status = p.ok(['status']).stdout;
    assert.match(status, new RegExp(`^File/default/app\\s+Held\\s+Missing\\s.*until ${until}`, 'm'), status);
    assert.match(p.ok(['get', 'File/default/app']).stdout, new RegExp(`^blockedUntil: '${until}'$`, 'm'));
    const event = (await p.events('File/default/app')).find((e) => e.reason === 'Held');
    assert.match(event?.message ?? '', new RegExp(`waits until ${until}$`));
    // The window scoped to another namespace does not name this resource.
    assert.doesNotMatch(JSON.stringify(await p.record('File/default/app')), /other-team/);

    // serve holds the state lock: stop it, then act from the CLI.
    assert.equal((await serve.stop()).code, 0);
    const held = p.run(['apply', '--yes']);
    assert.equal(held.code, 1, held.stdout + held.stderr);
    assert.match(
      held.stdout,
      new RegExp(`File/default/app: blocked by change window release-freeze until ${until}`),
    );
    assert.equal(existsSync(app), false, 'apply respects the window too');

    const forced = p.run(['apply', '--yes', '--override-window', '--actor', 'alice']);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.match(forced.stdout, /\+ File\/default\/app: created /);
    assert.equal(p.read(app), 'feature = on\n');
    const overridden = (await p.events('File/default/app')).find((e) => e.reason === 'WindowOverridden');
    assert.equal(overridden?.type, 'Warning');
    assert.match(
      overridden.message,
      /deny window "release-freeze" is open until .*; overridden by alice \(--override-window\)/,
    );

    const db = new Database(p.path('.setpoint', 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare(
          "SELECT actor, resource_id AS resourceId, result, detail FROM audit WHERE action = 'window.override'",
        )
        .all();
      assert.deepEqual(rows, [
        {
          actor: 'alice',
          resourceId: 'File/default/app',
          result: 'overridden',
          detail: JSON.stringify({ window: 'release-freeze', op: 'create' }),
        },
      ]);
    } finally {
      db.close();
    }

    // Back under serve, inside the window: the overridden change stays (nothing to do, nothing blocked).
    const converged = async () => (await p.events()).filter((e) => e.reason === 'Converged').length;
    const before = await converged();
    await startServe(t, p.dir);
    await eventually(
      async () => (await converged()) > before,
      'serve to converge again (every resource in sync)',
    );
    assert.equal((await p.record('File/default/app'))?.sync, 'InSync');
    assert.equal(p.read(app), 'feature = on\n');
  });
});
