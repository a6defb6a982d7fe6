/**
 * The CLI against a running server (`--server URL --token T`, or
 * SETPOINT_SERVER / SETPOINT_TOKEN): read commands give what they give
 * locally; approve, reject, resume and sync act through the API with the
 * token's name in the audit log; local-only commands refuse --server.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Setpoint } from '../src/api/index.js';
import { cliSpawn, eventually, json } from './helpers.js';
import { FAST, project, type Project } from './serve-kit.js';
import { nsFile, startApi, suiteOwner, type ApiServing } from './server-kit.js';
import { plain } from './state-reader.js';

describe('CLI with --server', () => {
  let p: Project;
  let api: ApiServing;
  const tok = {} as Record<'viewer' | 'approver' | 'operator' | 'admin', string>;
  const owner = suiteOwner();
  /** The CLI in a folder with no project, talking to the server only. */
  const remote = (args: string[], token: string) =>
    p.run(args, { cwd: '/', env: { SETPOINT_SERVER: api.url, SETPOINT_TOKEN: token } });

  before(async () => {
    p = project({}, FAST);
    p.write({
      'manifests/web.yaml':
        [
          nsFile('web', 'motd', join(p.out, 'motd'), 'hello\n'),
          nsFile('web', 'banner', join(p.out, 'banner'), 'banner\n', 'alert'),
          nsFile('web', 'gate', join(p.out, 'gate'), 'gated\n', 'approve'),
          nsFile('web', 'gate2', join(p.out, 'gate2'), 'gated\n', 'approve'),
        ].join('\n---\n') + '\n',
    });
    // The tokens are made in this process (`token create` itself is tested remotely below and in server-auth).
    const local = await Setpoint.open({ cwd: p.dir, logFile: false });
    try {
      for (const role of ['viewer', 'approver', 'operator', 'admin'] as const)
        tok[role] = (await local.createToken({ name: `cli-${role}`, role })).token;
    } finally {
      await local.close();
    }
    api = await startApi(owner, p);
    await eventually(
      async () => (await p.approvals()).length === 2 && (await p.record('File/web/motd'))?.sync === 'InSync',
      'motd in sync, two approvals waiting',
    );
  });

  it('status, get, describe, events, history, audit, approvals and sources read the server as they read the state', async () => {
    // What the state holds is read in this process (as the local `status --json` and `get --json` print it).
    const local = await p.status();
    const localMotd = await p.api(async (a) => plain<unknown>(await a.get('File/web/motd')));
    const r = remote(['status', '--json'], tok.viewer);
    assert.equal(r.code, 0, r.stderr);
    const viaServer = json<{
      resources: Array<{ id: string; sync: string }>;
      counts: { total: number };
      convergence: { revisions: unknown[] };
    }>(r);
    assert.deepEqual(
      viaServer.resources.map((x) => [x.id, x.sync]),
      local.map((x) => [x.id, x.sync]),
    );
    assert.equal(viaServer.counts.total, 4);
    assert.ok(viaServer.convergence.revisions.length > 0);
    // The human table, with filters passed to the server.
    const inSync = remote(['status', '--namespace', 'web', '--sync', 'InSync'], tok.viewer).stdout;
    assert.match(inSync, /^File\/web\/motd\s+InSync\s+Healthy\s/m);
    assert.doesNotMatch(inSync, /File\/web\/gate\s/);

    const { apiVersion, ...gotMotd } = json<Record<string, unknown>>(
      remote(['get', 'File/web/motd', '--json'], tok.viewer),
    );
    assert.equal(apiVersion, 'setpoint.dev/v1');
    assert.deepEqual(gotMotd, localMotd);
    const missing = remote(['get', 'File/web/nothing'], tok.viewer);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no resource File\/web\/nothing/);

    const d = json<{ id: string; exists: boolean; actual: { content: string }; changes: unknown[] }>(
      remote(['describe', 'File/web/motd', '--json'], tok.viewer),
    );
    assert.equal(d.id, 'File/web/motd');
    assert.equal(d.exists, true);
    assert.equal(d.actual.content, 'hello\n');
    assert.match(remote(['describe', 'File/web/motd'], tok.viewer).stdout, /^Diff:\s+none$/m);

    const ev = remote(['events', 'File/web/motd'], tok.viewer).stdout;
    assert.match(ev, /^TIME\s+TYPE\s+REASON/m);
    assert.match(ev, /\sCreated\s.*File\/web\/motd/);
    const h = json<{ revisions: Array<{ id: string; admitted: boolean }> }>(
      remote(['history', '--json'], tok.viewer),
    );
    assert.equal(h.revisions[0].admitted, true);
    const audit = json<Array<{ action: string }>>(
      remote(['audit', '--json', '--action', 'token.create'], tok.viewer),
    );
    assert.equal(audit.length, 4);
    assert.match(remote(['audit', 'verify'], tok.viewer).stdout, /the audit trail: intact, \d+ entries/);
    // approvals --json is read by the approve test below.
    const approvals = remote(['approvals'], tok.viewer).stdout;
    assert.match(approvals, /2 waiting/);
    assert.match(approvals, /File\/web\/gate\s/);
    assert.match(approvals, /File\/web\/gate2\s/);
    const sources = json<Array<{ name: string }>>(remote(['sources', '--json'], tok.viewer));
    assert.ok(sources.length >= 1);
  });

  it('--server and --token flags work like the environment; a bad token, an unreachable server and local-only commands fail clearly', () => {
    const r = p.run(['--server', api.url, '--token', tok.viewer, 'status', '--json'], { cwd: '/' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json<{ resources: unknown[] }>(r).resources.length, 4);
    const bad = p.run(['status', '--server', api.url, '--token', 'spt_wrong'], { cwd: '/' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: invalid or revoked token/);
    const none = p.run(['status'], {
      cwd: '/',
      env: { SETPOINT_SERVER: api.url, SETPOINT_TOKEN: undefined },
    });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /authentication required/);
    const down = p.run(['status', '--json', '--server', 'http://127.0.0.1:9', '--token', tok.viewer], {
      cwd: '/',
    });
    assert.equal(down.code, 1);
    assert.equal(json<{ error: { code: string } }>(down).error.code, 'SETPOINT_SERVER_UNREACHABLE');
    const plan = p.run(['plan', '--server', api.url]);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /`setpoint plan` works on the local state and does not take --server/);
    const describeLocalFiles = remote(['describe', 'File/web/motd', '-f', 'manifests'], tok.viewer);
    assert.equal(describeLocalFiles.code, 1);
    assert.match(describeLocalFiles.stderr, /-f reads local files and does not work with --server/);
  });

  it('approve, reject, resume and sync act through the server, audited with the token name; a viewer is refused', async () => {
    const [gate, gate2] = json<Array<{ id: string; resourceId: string }>>(
      remote(['approvals', '--json'], tok.viewer),
    ).sort((a, b) => a.resourceId.localeCompare(b.resourceId));
    const refused = remote(['approve', gate.id], tok.viewer);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /token cli-viewer \(role viewer\) may not approve a proposed action: that needs role approver/,
    );

    const ok = remote(['approve', gate.id.slice(0, 8), '-m', 'looks right'], tok.approver);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`approved ${gate.id}: create File/web/gate`));
    await eventually(
      async () => (await p.record('File/web/gate'))?.sync === 'InSync',
      'the approved file created',
    );
    const rej = remote(['reject', gate2.id, '-m', 'not now'], tok.approver);
    assert.equal(rej.code, 0, rej.stderr);
    assert.match(rej.stdout, /rejected .*File\/web\/gate2/);

    assert.equal(remote(['resume', 'File/web/motd'], tok.operator).code, 0);
    const sync = remote(['sync', '--json'], tok.operator);
    assert.equal(sync.code, 0, sync.stderr);
    assert.ok(json<Array<{ source: string }>>(sync).length >= 1);

    const audit = await p.api((a) => a.audit({ limit: 1000 }));
    const actor = (action: string) => audit.filter((e) => e.action === action).map((e) => e.actor);
    assert.ok(actor('approval.approve').includes('cli-approver'));
    assert.ok(actor('approval.reject').includes('cli-approver'));
    assert.ok(actor('resource.resume').includes('cli-operator'));
    assert.ok(actor('sync.request').includes('cli-operator'));
  });

  it('token create, list and revoke work remotely with an admin token only', () => {
    const made = remote(
      ['token', 'create', '--name', 'remote-made', '--role', 'viewer', '--namespace', 'web'],
      tok.admin,
    );
    assert.equal(made.code, 0, made.stderr);
    const secret = made.stdout.trim();
    assert.match(secret, /^spt_/);
    const list = json<Array<{ name: string; namespaces: string[]; createdBy: string }>>(
      remote(['token', 'list', '--json'], tok.admin),
    );
    assert.deepEqual(list.find((t) => t.name === 'remote-made')?.namespaces, ['web']);
    assert.equal(list.find((t) => t.name === 'remote-made')?.createdBy, 'cli-admin');
    assert.equal(remote(['status', '--json'], secret).code, 0);
    const denied = remote(['token', 'list'], tok.approver);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /needs role admin/);
    assert.equal(remote(['token', 'revoke', 'remote-made'], tok.admin).code, 0);
    assert.equal(remote(['status'], secret).code, 1);
  });

  it('status --watch --server prints each status change as the server streams it', async () => {
    const child = cliSpawn(['status', '--watch', '--namespace', 'web'], {
      cwd: '/',
      env: { SETPOINT_SERVER: api.url, SETPOINT_TOKEN: tok.viewer },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await eventually(() => /File\/web\/banner\s+InSync/.test(out), 'the current status first');
      writeFileSync(join(p.out, 'banner'), 'drifted\n');
      await eventually(() => /File\/web\/banner\s+Held/.test(out), 'the drift (Held: alert mode)');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.ok(!/File\/default\//.test(out));
  });
});
