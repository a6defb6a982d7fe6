/**
 * The system kinds end to end through the CLI, as root on this host:
 * Package (one apt transaction for a run's packages, no-op second run, a
 * hand removal found and repaired, removal), User and Group (the same
 * lifecycle), Service (restartOn notifications after a changed File, in
 * apply and under serve), and
 * bad input refused at validate naming file:line and the field.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { eventually, sandbox, startServe } from './helpers.js';
import { docs, fileDoc, project, replaceFile } from './serve-kit.js';
import { canManagePackages, purgePackages } from '../src/providers/package/testkit.js';
import { systemdRunning } from '../src/providers/service/index.js';

const asRoot = process.getuid?.() === 0;
const hasSystemctl = spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status === 0;
const exists = (db: string, name: string) => spawnSync('getent', [db, name]).status === 0;
const installed = (name: string) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout.includes(' installed');

describe('bad input in system kinds', () => {
  test('validate names file, line, resource and field for each kind', () => {
    const s = sandbox();
    s.write({
      'm/system.yaml': `kind: Package
metadata: { name: web }
spec:
  ensure: installed
---
kind: User
metadata: { name: deploy }
spec:
  home: home/deploy
---
kind: Group
metadata: { name: web }
spec:
  gid: "2000"
---
kind: Service
metadata: { name: web }
spec:
  state: started
---
kind: Service
metadata: { name: api }
spec:
  restartOn: [File/missing]
`,
    });
    const r = s.run(['validate', '-f', 'm']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /system\.yaml:4:\d+.*Package\/default\/web.*spec\.ensure/);
    assert.match(r.stderr, /system\.yaml:9:\d+.*User\/default\/deploy.*spec\.home/);
    assert.match(r.stderr, /system\.yaml:14:\d+.*Group\/default\/web.*spec\.gid/);
    assert.match(r.stderr, /system\.yaml:19:\d+.*Service\/default\/web.*spec\.state/);
    assert.match(r.stderr, /File\/default\/missing/);
  });
});

describe('Package through the CLI', { skip: canManagePackages ? false : 'needs root and apt-get' }, () => {
  test('one transaction for the run, no-op again, drift repaired, removed with ensure: absent', () => {
    purgePackages('figlet', 'sl');
    const s = sandbox();
    const manifest = (ensure: string) => `kind: Package
metadata: { name: figlet }
spec: { ensure: ${ensure} }
---
kind: Package
metadata: { name: sl }
spec: { ensure: ${ensure} }
`;
    try {
      s.write({ 'm/pkgs.yaml': manifest('present') });
      const first = s.run(['apply', '-f', 'm', '--yes'], { timeoutMs: 600_000 });
      assert.equal(first.code, 0, first.stderr + first.stdout);
      assert.ok(installed('figlet') && installed('sl'));
      const events = s.run(['events', '-n', '50']);
      assert.match(
        events.stdout,
        /PackagesInstalled.*2 packages in one apt transaction: (figlet, sl|sl, figlet)/,
      );
      const again = s.run(['plan', '-f', 'm', '--detailed-exitcode']);
      assert.equal(again.code, 0, `a second run has nothing to do\n${again.stdout}`);
      purgePackages('sl');
      const drift = s.run(['plan', '-f', 'm', '--detailed-exitcode']);
      assert.equal(drift.code, 2, drift.stdout);
      assert.match(drift.stdout, /Package\/default\/sl/);
      const repair = s.run(['apply', '-f', 'm', '--yes'], { timeoutMs: 600_000 });
      assert.equal(repair.code, 0, repair.stderr);
      assert.ok(installed('sl'));
      s.write({ 'm/pkgs.yaml': manifest('absent') });
      const remove = s.run(['apply', '-f', 'm', '--yes'], { timeoutMs: 600_000 });
      assert.equal(remove.code, 0, remove.stderr);
      assert.ok(!installed('figlet') && !installed('sl'));
    } finally {
      purgePackages('figlet', 'sl');
    }
  });
});

describe('User and Group through the CLI', { skip: asRoot ? false : 'needs root' }, () => {
  test('create, no-op, a hand change repaired, removal keeps the home', () => {
    const user = `spcli${process.pid}`;
    const s = sandbox();
    const manifest = (ensure: string) => `kind: Group
metadata: { name: ${user}g }
spec: { gid: ${61000 + (process.pid % 1000)}, ensure: ${ensure} }
---
kind: User
metadata: { name: ${user} }
spec:
  shell: /bin/bash
  groups: [${user}g]
  ensure: ${ensure}
dependsOn: [Group/${user}g]
`;
    try {
      s.write({ 'm/accounts.yaml': manifest('present') });
      const first = s.run(['apply', '-f', 'm', '--yes']);
      assert.equal(first.code, 0, first.stderr + first.stdout);
      assert.ok(exists('passwd', user) && exists('group', `${user}g`));
      assert.equal(s.run(['plan', '-f', 'm', '--detailed-exitcode']).code, 0);
      spawnSync('usermod', ['-s', '/bin/sh', user]);
      const drift = s.run(['plan', '-f', 'm', '--detailed-exitcode']);
      assert.equal(drift.code, 2);
      assert.match(drift.stdout, /spec\.shell.*\/bin\/sh.*\/bin\/bash/);
      assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
      assert.match(spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout, /:\/bin\/bash$/m);
      s.write({ 'm/accounts.yaml': manifest('absent') });
      const remove = s.run(['apply', '-f', 'm', '--yes']);
      assert.equal(remove.code, 0, remove.stderr + remove.stdout);
      assert.ok(!exists('passwd', user) && !exists('group', `${user}g`));
      assert.ok(spawnSync('test', ['-d', `/home/${user}`]).status === 0, 'the home stays without force');
    } finally {
      if (exists('passwd', user)) spawnSync('userdel', [user]);
      if (exists('group', `${user}g`)) spawnSync('groupdel', [`${user}g`]);
      if (exists('group', user)) spawnSync('groupdel', [user]);
      spawnSync('rm', ['-rf', `/home/${user}`]);
    }
  });
});

describe('Service restartOn through the CLI', { skip: hasSystemctl ? false : 'needs systemctl' }, () => {
  test('a changed config File notifies the Service after it, once per change; without systemd as PID 1 that is a warning, not a failed run', () => {
    const s = sandbox();
    const hostUnit = `spt-host${process.pid}.service`;
    const manifest = (port: number) => `kind: File
metadata: { name: web-conf }
spec:
  path: ${s.path('out', 'web.conf')}
  content: "port=${port}\\n"
---
kind: Service
metadata: { name: spt-web }
spec:
  unit: |
    [Service]
    ExecStart=/bin/sleep 1000
    [Install]
    WantedBy=multi-user.target
  enabled: true
  root: ${s.path('root')}
  restartOn: [File/web-conf]
---
kind: Service
metadata: { name: host-web }
spec:
  name: ${hostUnit}
  unit: |
    [Service]
    ExecStart=/bin/sleep 1000
  restartOn: [File/web-conf]
`;
    const count = (re: RegExp) => (s.run(['events', '-n', '200']).stdout.match(re) ?? []).length;
    try {
      s.write({ 'm/web.yaml': manifest(80), 'out/.keep': '', 'root/.keep': '' });
      const first = s.run(['apply', '-f', 'm', '--yes']);
      assert.equal(first.code, 0, first.stderr + first.stdout);
      // In a root folder nothing runs: the notification says so.
      assert.equal(
        count(/Notified .*spt-web\.service is in the root folder .*nothing runs.*File\/default\/web-conf/g),
        1,
      );
      if (!systemdRunning())
        assert.equal(
          count(/NotifyFailed .*cannot restart spt-host\d+\.service: systemd is not running as PID 1/g),
          1,
        );
      assert.equal(s.run(['plan', '-f', 'm', '--detailed-exitcode']).code, 0);
      s.write({ 'm/web.yaml': manifest(81) });
      assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
      assert.equal(count(/Notified .*spt-web\.service/g), 2, 'a changed File notifies again');
      assert.equal(s.run(['apply', '-f', 'm', '--yes']).code, 0);
      assert.equal(count(/Notified .*spt-web\.service/g), 2, 'a run that changes nothing notifies nobody');
    } finally {
      spawnSync('rm', ['-f', `/etc/systemd/system/${hostUnit}`]);
    }
  });

  test(
    'says at plan time that running state needs systemd as PID 1',
    { skip: systemdRunning() && 'systemd runs here' },
    () => {
      const s = sandbox();
      s.write({
        'm/web.yaml': `kind: Service
metadata: { name: spt-web }
spec: { state: running }
`,
      });
      const plan = s.run(['plan', '-f', 'm']);
      assert.equal(plan.code, 1, plan.stdout);
      assert.match(plan.stderr, /Service\/default\/spt-web/);
      assert.match(plan.stderr, /systemd is not running as PID 1/);
      assert.match(plan.stderr, /spec\.state/);
    },
  );
});

describe('Service restartOn under serve', { skip: hasSystemctl ? false : 'needs systemctl' }, () => {
  test('a config File repaired by serve notifies the Service that subscribes to it', async (t) => {
    const p = project({});
    const conf = join(p.out, 'web.conf');
    p.write({
      'root/.keep': '',
      'manifests/web.yaml': docs(
        fileDoc('web-conf', conf, 'port=80\n'),
        `kind: Service
metadata: { name: spt-web }
spec:
  unit: |
    [Service]
    ExecStart=/bin/sleep 1000
  root: ${p.path('root')}
  restartOn: [File/web-conf]
`,
      ),
    });
    await startServe(t, p.dir);
    const notified = async () =>
      (await p.events('Service/default/spt-web')).filter((e) => e.reason === 'Notified').length;
    await eventually(
      async () => (await p.record('Service/default/spt-web'))?.sync === 'InSync',
      'the first convergence',
    );
    await eventually(
      async () => (await notified()) >= 1,
      'the File created in the first convergence notifies the Service',
    );
    const before = await notified();
    replaceFile(conf, 'port=81\n');
    await eventually(() => p.read(conf) === 'port=80\n', 'serve to repair the File');
    await eventually(async () => (await notified()) === before + 1, 'the repair to notify the Service');
    const last = (await p.events('Service/default/spt-web')).filter((e) => e.reason === 'Notified').pop()!;
    assert.match(
      last.message,
      /spt-web\.service is in the root folder .*\(changed: File\/default\/web-conf\)/,
    );
  });
});
