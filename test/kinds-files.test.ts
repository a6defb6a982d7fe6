/**
 * Facts, File templates, FileEdit and Cron end to end, with the built CLI
 * on real files: create, a no-op second run, drift by a hand change seen
 * only in the managed parts and repaired, removal with ensure: absent, bad
 * input named at validate with file, line, resource and field; and facts
 * through `setpoint facts` and GET /api/v1/facts.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json } from './helpers.js';
import { project, type Project } from './serve-kit.js';
import { call, createToken, startApi } from './server-kit.js';

const HOST = hostname().split('.')[0];

const TEMPLATE = `# {{ facts.hostname }} ({{ facts.os.family }}), role {{ facts.role }}
listen {{ port }}
{% for i in range(workers) %}
worker {{ i }}
{% endfor %}
`;

function manifests(out: string, absent = false): string {
  return `kind: File
metadata: { name: app-conf }
spec:
  path: ${out}/app.conf
  template: templates/app.conf.njk
  vars: { port: 8080, workers: 2 }
---
kind: FileEdit
metadata: { name: hosts-db }
spec:
  path: ${out}/hosts
  line: "10.0.0.5 db.internal"
${absent ? '  ensure: absent\n' : ''}---
kind: FileEdit
metadata: { name: app-port }
spec: { path: ${out}/app.env, key: PORT, value: 8080 }
---
kind: Cron
metadata: { name: backup.daily }
spec:
  schedule: "30 2 * * *"
  command: /usr/local/bin/backup --host \${facts.hostname}
  environment: { MAILTO: "" }
  dir: ${out}/cron.d
${absent ? '  ensure: absent\n' : ''}`;
}

function setUp(): Project {
  const p = project({ 'templates/.keep': '' }, 'manifests: [manifests]\n');
  p.write({
    'manifests/app.yaml': manifests(p.out),
    'manifests/templates/app.conf.njk': TEMPLATE,
    '.setpoint/facts.d/role': '#!/bin/sh\necho \'{"role": "web"}\'\n',
    'out/hosts': '127.0.0.1 localhost\n',
    'out/app.env': '# app settings\nNAME=web\nPORT=80\n',
  });
  chmodSync(p.path('.setpoint/facts.d/role'), 0o755);
  mkdirSync(join(p.out, 'cron.d'));
  return p;
}

const planExit = (p: Project) => p.run(['plan', '--detailed-exitcode']).code;

describe('templates, FileEdit and Cron through the CLI', () => {
  it('create, no-op, drift only in the managed parts, repair, remove', () => {
    const p = setUp();
    p.ok(['apply', '--yes']);
    const conf = `# ${HOST} (${readOsFamily()}), role web\nlisten 8080\nworker 0\nworker 1\n`;
    assert.equal(p.read(join(p.out, 'app.conf')), conf);
    assert.equal(p.read(join(p.out, 'hosts')), '127.0.0.1 localhost\n10.0.0.5 db.internal\n');
    assert.equal(p.read(join(p.out, 'app.env')), '# app settings\nNAME=web\nPORT=8080\n');
    const cron = join(p.out, 'cron.d', 'backup_daily');
    assert.match(
      p.read(cron),
      new RegExp(`^30 2 \\* \\* \\* root /usr/local/bin/backup --host ${HOST}$`, 'm'),
    );
    assert.equal(p.mode(cron), '0644');

    assert.equal(planExit(p), 0, 'a second run has nothing to do');

    // Hand changes outside the managed parts are not drift.
    writeFileSync(join(p.out, 'hosts'), '127.0.0.1 localhost\n10.0.0.5 db.internal\n192.168.1.1 router\n');
    writeFileSync(join(p.out, 'app.env'), '# app settings, edited\nNAME=api\nPORT=8080\n');
    assert.equal(planExit(p), 0, 'edits outside the managed parts are not drift');

    // Hand changes inside them are, each named by its field.
    writeFileSync(join(p.out, 'app.conf'), conf.replace('listen 8080', 'listen 9999'));
    writeFileSync(join(p.out, 'hosts'), '127.0.0.1 localhost\n192.168.1.1 router\n');
    writeFileSync(join(p.out, 'app.env'), '# app settings, edited\nNAME=api\nPORT=1\n');
    writeFileSync(cron, p.read(cron).replace('30 2 * * *', '* * * * *'));
    const drift = p.run(['drift', '--json']);
    assert.equal(drift.code, 2, drift.stderr);
    const items = json<{ items: Array<{ id: string; changes: Array<{ path: string }> }> }>(drift).items;
    assert.deepEqual(items.map((i) => [i.id, i.changes.map((c) => c.path)]).sort(), [
      ['Cron/default/backup.daily', ['spec.schedule']],
      ['File/default/app-conf', ['spec.template']],
      ['FileEdit/default/app-port', ['spec.value']],
      ['FileEdit/default/hosts-db', ['spec.line']],
    ]);
    p.ok(['apply', '--yes']);
    assert.equal(p.read(join(p.out, 'app.conf')), conf);
    assert.equal(
      p.read(join(p.out, 'hosts')),
      '127.0.0.1 localhost\n192.168.1.1 router\n10.0.0.5 db.internal\n',
    );
    assert.equal(p.read(join(p.out, 'app.env')), '# app settings, edited\nNAME=api\nPORT=8080\n');
    assert.match(p.read(cron), /^30 2 \* \* \* root/m);
    assert.equal(planExit(p), 0);

    // ensure: absent removes the managed line and the cron file; the rest of the file stays.
    p.write({ 'manifests/app.yaml': manifests(p.out, true) });
    p.ok(['apply', '--yes']);
    assert.equal(p.read(join(p.out, 'hosts')), '127.0.0.1 localhost\n192.168.1.1 router\n');
    assert.equal(existsSync(cron), false);
    assert.equal(planExit(p), 0);
  });

  it('validate names file, line, resource and field of bad input', () => {
    const p = setUp();
    p.write({
      'manifests/templates/bad.njk': 'listen {{ port }}\nname {{ nmae }}\n',
      'manifests/app.yaml': `kind: Cron
metadata: { name: bad-schedule }
spec: { schedule: "0 25 * * *", command: "true", dir: ${p.out} }
---
kind: File
metadata: { name: bad-template }
spec:
  path: ${p.out}/t.conf
  template: templates/bad.njk
  vars: { port: 1 }
---
kind: File
metadata: { name: both }
spec:
  path: ${p.out}/both
  content: x
  template: templates/app.conf.njk
---
kind: FileEdit
metadata: { name: bad-match }
spec: { path: ${p.out}/hosts, line: x, match: "(a)\\\\1" }
---
kind: File
metadata: { name: bad-fact }
spec: { path: "${p.out}/\${facts.hostnmae}" }
`,
    });
    const r = p.run(['validate', '--json']);
    assert.equal(r.code, 1);
    const found = json<{
      diagnostics: Array<{ resourceId: string; field: string; line: number; summary: string; file: string }>;
    }>(r)
      .diagnostics.map((d) => [d.resourceId, d.field, d.line, d.file.endsWith('manifests/app.yaml')])
      .sort();
    assert.deepEqual(found, [
      ['Cron/default/bad-schedule', 'spec.schedule', 3, true],
      ['File/default/bad-fact', 'spec.path', 25, true],
      ['File/default/bad-template', 'spec.template', 9, true],
      ['File/default/both', 'spec.template', 17, true],
      ['FileEdit/default/bad-match', 'spec.match', 21, true],
    ]);
    assert.match(r.stdout, /template templates\/bad\.njk:2:\d+: undefined value in \{\{ nmae \}\}/);
  });
});

describe('a template given a secret', () => {
  it('writes it, and plan, drift, events and the log never show it', () => {
    const p = setUp();
    const secret = 'hunter2-template-secret';
    p.write({
      'manifests/app.yaml': `kind: File
metadata: { name: db-conf }
spec:
  path: ${p.out}/db.conf
  template: templates/db.njk
  vars: { user: app, password: { secretRef: { env: DB_PASSWORD } } }
`,
      'manifests/templates/db.njk': 'user={{ user }}\npassword={{ password }}\n',
    });
    const env = { DB_PASSWORD: secret };
    const plan = p.run(['plan', '--json'], { env });
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok(!plan.stdout.includes(secret));
    assert.match(plan.stdout, /"sensitive": true/);
    p.ok(['apply', '--yes'], { env });
    assert.equal(p.read(join(p.out, 'db.conf')), `user=app\npassword=${secret}\n`);
    writeFileSync(join(p.out, 'db.conf'), 'user=app\npassword=changed-by-hand\n');
    const drift = p.run(['drift', '--json'], { env });
    assert.equal(drift.code, 2);
    assert.ok(!drift.stdout.includes(secret) && !drift.stdout.includes('changed-by-hand'));
    p.ok(['apply', '--yes'], { env });
    const events = p.ok(['events', '--json', '-n', '100']).stdout;
    const log = p.read(p.path('.setpoint', 'setpoint.log'));
    for (const text of [events, log]) assert.ok(!text.includes(secret));
  });
});

describe('facts', () => {
  it('setpoint facts prints built-in and custom facts; a failing custom fact is named', () => {
    const p = setUp();
    const all = json<Record<string, unknown>>(p.ok(['facts', '--json']));
    assert.equal(all.hostname, HOST);
    assert.equal(all.role, 'web');
    assert.equal(p.ok(['facts', 'role']).stdout, 'web\n');
    assert.match(p.ok(['facts']).stdout, /^os\.family\s+\S+$/m);
    writeFileSync(p.path('.setpoint/facts.d/zz-broken'), '#!/bin/sh\necho oops >&2\nexit 4\n');
    chmodSync(p.path('.setpoint/facts.d/zz-broken'), 0o755);
    const bad = p.run(['facts']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /custom fact .*zz-broken failed \(exit 4\): oops/);
  });

  it('GET /api/v1/facts answers a viewer, and /openapi.json lists it', async (t) => {
    const p = setUp();
    const api = await startApi(t, p);
    const token = createToken(p, 'reader', 'viewer');
    const facts = await call<Record<string, unknown>>(api.url, '/api/v1/facts', { token });
    assert.equal(facts.status, 200, facts.text);
    assert.equal(facts.body.hostname, HOST);
    assert.equal(facts.body.role, 'web');
    assert.equal((await call(api.url, '/api/v1/facts')).status, 401);
    const doc = await call<{ paths: Record<string, { get?: { 'x-setpoint-role'?: string } }> }>(
      api.url,
      '/openapi.json',
    );
    assert.equal(doc.body.paths['/api/v1/facts']?.get?.['x-setpoint-role'], 'viewer');
  });
});

function readOsFamily(): string {
  const text = readFileSync('/etc/os-release', 'utf8');
  const id = /^ID=(.*)$/m.exec(text)?.[1]?.replace(/"/g, '') ?? '';
  const like = /^ID_LIKE=(.*)$/m.exec(text)?.[1]?.replace(/"/g, '') ?? '';
  if ([id, ...like.split(' ')].includes('debian')) return 'debian';
  return id;
}
