/**
 * The webserver example, run as a newcomer would with the real CLI, in a
 * temp copy: its variables point the server, its config and the edited
 * hosts file into a temp folder. The Package (cowsay) is installed for real
 * when running as root with apt, and left out of the copy otherwise. Apply
 * converges; a second apply changes nothing; a hand edit of the managed line
 * is drift and is repaired; a new greeting restarts the server (new pid) and
 * the HttpCheck is Healthy again; removing the manifests (`apply --prune`)
 * cleans up.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, exited, json, ROOT, sandbox, type Sandbox } from './helpers.js';
import { freePorts } from './support/ports.js';
import { canManagePackages, purgePackages } from '../src/providers/package/testkit.js';

const HOSTS = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n';
const LINE = '127.0.0.1 web.setpoint.test';
let s: Sandbox;
let env: Record<string, string>;
let port: number;
const project = () => s.path('project');
const run = (args: string[], extra: Record<string, string> = {}) =>
  exited(s.spawn([...args, '-C', project()], { env: { ...env, ...extra } }));
const hosts = () => readFileSync(s.path('etc', 'hosts'), 'utf8');
const installed = () => {
  const r = readFileSync('/var/lib/dpkg/status', 'utf8');
  return /^Package: cowsay\nStatus: install ok installed$/m.test(r);
};

/** What the server answers on /, or undefined while nothing listens. */
async function answer(): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return await res.text();
  } catch {
    return undefined;
  }
}
const pidOf = (body: string) => Number(/pid (\d+)\)/.exec(body)?.[1]);

async function health(id: string): Promise<string | undefined> {
  const r = await run(['status', '--json']);
  return json<{ resources: Array<{ id: string; health: string }> }>(r).resources.find((x) => x.id === id)
    ?.health;
}

before(async () => {
  s = sandbox('setpoint-example-web-');
  cpSync(join(ROOT, 'examples', 'webserver'), project(), { recursive: true });
  if (!canManagePackages) rmSync(join(project(), 'manifests', '10-package.yaml'));
  else purgePackages('cowsay');
  s.write({ 'etc/hosts': HOSTS });
  port = await freePorts(1);
  env = {
    SETPOINT_VAR_root: s.path('srv'),
    SETPOINT_VAR_etc: s.path('etc'),
    SETPOINT_VAR_port: String(port),
  };
});
after(async () => {
  // A failed test must not leave the server running.
  const body = await answer();
  if (body) process.kill(pidOf(body), 'SIGKILL');
});

describe('examples/webserver through the CLI', () => {
  it('applies: config rendered with facts, the line added, the server up and checked', async () => {
    const first = await run(['apply', '--yes']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const config = JSON.parse(readFileSync(s.path('srv', 'config.json'), 'utf8')) as Record<string, unknown>;
    const facts = json<{ hostname: string }>(await run(['facts', '--json']));
    assert.deepEqual(config, {
      host: facts.hostname,
      os: config.os,
      greeting: 'hello from setpoint',
      port,
    });
    assert.equal(hosts(), `${HOSTS}${LINE}\n`, 'one line appended, the rest byte for byte');
    const body = await eventually(answer, 'the server answers');
    assert.match(body, /hello from setpoint/);
    assert.equal(await health('HttpCheck/default/web-up'), 'Healthy');
  });

  it('installs cowsay for real', { skip: canManagePackages ? false : 'needs root and apt-get' }, async () => {
    assert.ok(installed(), 'cowsay is installed');
    assert.match((await answer()) ?? '', /\(oo\)/, 'the server draws with it');
  });

  it('changes nothing on the second apply', async () => {
    const before = await answer();
    const again = await run(['apply', '--yes']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /changed: 0 /);
    assert.equal(pidOf((await answer()) ?? ''), pidOf(before ?? ''), 'the server was not restarted');
  });

  it('finds a hand edit of the managed line and repairs it, leaving the rest', async () => {
    writeFileSync(s.path('etc', 'hosts'), `${HOSTS}10.9.9.9 web.setpoint.test\n# a note\n`);
    const drift = await run(['drift']);
    assert.equal(drift.code, 2, drift.stdout + drift.stderr);
    assert.match(drift.stdout, /FileEdit\/default\/hosts-web/);
    const repaired = await run(['apply', '--yes']);
    assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
    assert.equal(hosts(), `${HOSTS}${LINE}\n# a note\n`);
  });

  it('restarts the server when the template var changes, and the check is Healthy again', async () => {
    const oldPid = pidOf((await answer()) ?? '');
    const changed = await run(['apply', '--yes'], { SETPOINT_VAR_greeting: 'hello again' });
    assert.equal(changed.code, 0, changed.stdout + changed.stderr);
    assert.match(changed.stdout, /File\/default\/web-config: updated/);
    const body = await eventually(async () => {
      const b = await answer();
      return b?.includes('hello again') && b;
    }, 'the restarted server answers with the new greeting');
    assert.notEqual(pidOf(body), oldPid, 'a new process');
    const plan = await run(['plan', '--detailed-exitcode'], { SETPOINT_VAR_greeting: 'hello again' });
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.equal(await health('HttpCheck/default/web-up'), 'Healthy');
  });

  it('cleans up when the manifests are removed and pruned', async () => {
    const pid = pidOf((await answer()) ?? '');
    for (const f of readdirSync(join(project(), 'manifests'))) rmSync(join(project(), 'manifests', f));
    const pruned = await run(['apply', '--prune', '--yes']);
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.equal(hosts(), `${HOSTS}# a note\n`, 'the line is gone, the rest as it was');
    assert.ok(!existsSync(s.path('srv')), 'the server folder is gone');
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the server process to exit');
    if (canManagePackages) assert.ok(!installed(), 'cowsay is removed');
  });
});
