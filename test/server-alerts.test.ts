/**
 * Alerts and silences over the HTTP API, against a real `setpoint serve` on
 * loopback: listing follows the token's namespaces, acknowledging needs
 * operator within them, silences need an unscoped operator, every mutation
 * is audited with the token's name, and the CLI's `alerts` and `silence`
 * commands work with --server.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { eventually, json, type CliResult } from './helpers.js';
import { FAST, project, replaceFile, type Project } from './serve-kit.js';
import {
  assertError,
  call,
  createToken,
  nsFile,
  startApi,
  suiteOwner,
  until,
  type ApiServing,
} from './server-kit.js';

interface Alert {
  id: string;
  rule: string;
  labels: Record<string, string>;
  ack?: { by: string; actionable: boolean; comment?: string };
}

interface Silence {
  id: string;
  state: string;
  matchers: unknown[];
  createdBy: string;
  expiredBy?: string;
}

describe('HTTP API: alerts and silences', () => {
  let p: Project;
  let api: ApiServing;
  const tok: Record<string, string> = {};
  const owner = suiteOwner();

  before(async () => {
    p = project(
      {},
      `${FAST}server:\n  authFailures: { burst: 10000 }\nalerts:\n  evaluationInterval: 100ms\n`,
    );
    p.write({
      'manifests/files.yaml':
        [
          nsFile('web', 'motd', join(p.out, 'motd'), 'hello\n', 'alert'),
          nsFile('db', 'conf', join(p.out, 'conf'), 'db\n', 'alert'),
        ].join('\n---\n') + '\n',
    });
    tok.viewer = createToken(p, 'viewer', 'viewer');
    tok.webViewer = createToken(p, 'web-viewer', 'viewer', ['web']);
    tok.operator = createToken(p, 'operator', 'operator');
    tok.webOperator = createToken(p, 'web-operator', 'operator', ['web']);
    api = await startApi(owner, p);
    await eventually(
      async () => (await p.status()).filter((r) => r.sync === 'InSync').length === 2,
      'both files in sync',
    );
    // Drift on `alert` resources raises one DriftDetected incident each.
    replaceFile(join(p.out, 'motd'), 'edited\n');
    replaceFile(join(p.out, 'conf'), 'edited\n');
    await until(async () => {
      const r = await call<{ items: Alert[] }>(api.url, '/api/v1/alerts', { token: tok.viewer });
      return r.body.items.length === 2;
    }, 'two alerts firing');
  });

  const alerts = async (token: string) =>
    (await call<{ items: Alert[] }>(api.url, '/api/v1/alerts', { token })).body.items;
  const byResource = (list: Alert[], id: string) => list.find((a) => a.labels.resource === id)!;

  it('GET /api/v1/alerts lists firing incidents; a scoped token sees its namespaces only; no token is 401', async () => {
    const all = await alerts(tok.viewer);
    assert.deepEqual(all.map((a) => a.labels.resource).sort(), ['File/db/conf', 'File/web/motd']);
    assert.ok(all.every((a) => a.rule === 'DriftDetected'));
    assert.deepEqual(
      (await alerts(tok.webViewer)).map((a) => a.labels.resource),
      ['File/web/motd'],
    );
    assertError(await call(api.url, '/api/v1/alerts'), 401, 'SETPOINT_UNAUTHENTICATED');
    assertError(
      await call(api.url, '/api/v1/alerts?limit=0', { token: tok.viewer }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
  });

  it('POST /api/v1/alerts/:id/ack needs operator within the namespace, and is audited with the token name', async () => {
    const all = await alerts(tok.viewer);
    const web = byResource(all, 'File/web/motd');
    const db = byResource(all, 'File/db/conf');
    const ack = (id: string, token: string, body: unknown = { actionable: true }) =>
      call<Alert>(api.url, `/api/v1/alerts/${id}/ack`, { token, body });
    assertError(await ack(web.id, tok.viewer), 403, 'SETPOINT_FORBIDDEN');
    assertError(await ack(db.id, tok.webOperator), 403, 'SETPOINT_FORBIDDEN');
    assertError(await ack(web.id, tok.webOperator, { actionable: 'yes' }), 400, 'SETPOINT_BAD_REQUEST');
    assertError(await ack('ffffffff', tok.operator), 404, 'SETPOINT_NOT_FOUND');

    const done = await ack(web.id.slice(0, 6), tok.webOperator, { actionable: false, comment: 'test noise' });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(
      { by: done.body.ack?.by, actionable: done.body.ack?.actionable, comment: done.body.ack?.comment },
      { by: 'web-operator', actionable: false, comment: 'test noise' },
    );
    const audit = json<Array<{ actor: string; action: string; resourceId?: string }>>(
      p.ok(['audit', '--json', '--actor', 'web-operator']),
    );
    assert.ok(
      audit.some((e) => e.action === 'alert.ack' && e.resourceId === 'File/web/motd'),
      JSON.stringify(audit),
    );
  });

  it('silences: create, list and expire over HTTP; unscoped operator only; bad bodies name the field', async () => {
    const create = (token: string, body: unknown) =>
      call<Silence>(api.url, '/api/v1/silences', { token, body });
    const good = { matchers: ['namespace=db'], duration: '2h', comment: 'disk swap' };
    assertError(await create(tok.viewer, good), 403, 'SETPOINT_FORBIDDEN');
    assertError(await create(tok.webOperator, good), 403, 'SETPOINT_FORBIDDEN');
    const badDuration = assertError(
      await create(tok.operator, { ...good, duration: 'soon' }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
    assert.match(JSON.stringify(badDuration), /duration/);
    assertError(
      await create(tok.operator, { ...good, matchers: ['no operator here'] }),
      400,
      'SETPOINT_INVALID_ARGUMENT',
    );

    const made = await create(tok.operator, good);
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.createdBy, 'operator');
    const listed = await call<{ items: Silence[] }>(api.url, '/api/v1/silences', { token: tok.viewer });
    assert.deepEqual(
      listed.body.items.map((s) => [s.id, s.state]),
      [[made.body.id, 'active']],
    );

    assertError(
      await call(api.url, `/api/v1/silences/${made.body.id}`, { token: tok.webOperator, method: 'DELETE' }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    assertError(
      await call(api.url, '/api/v1/silences/ffffffff', { token: tok.operator, method: 'DELETE' }),
      404,
      'SETPOINT_NOT_FOUND',
    );
    const expired = await call<Silence>(api.url, `/api/v1/silences/${made.body.id}`, {
      token: tok.operator,
      method: 'DELETE',
    });
    assert.equal(expired.status, 200, expired.text);
    assert.equal(expired.body.expiredBy, 'operator');
    assert.deepEqual(
      (await call<{ items: Silence[] }>(api.url, '/api/v1/silences', { token: tok.viewer })).body.items,
      [],
      'expired silences only with all=true',
    );
    const all = await call<{ items: Silence[] }>(api.url, '/api/v1/silences?all=true', { token: tok.viewer });
    assert.deepEqual(
      all.body.items.map((s) => s.state),
      ['expired'],
    );
  });

  it('the CLI lists and acknowledges alerts and manages silences with --server', () => {
    const remote = (token: string, args: string[]) =>
      p.run(['--server', api.url, '--token', token, ...args], { cwd: '/' });
    const listed = remote(tok.webViewer, ['alerts', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const list = json<Alert[]>(listed);
    assert.deepEqual(
      list.map((a) => a.labels.resource),
      ['File/web/motd'],
    );
    const db = byResourceSync(remote(tok.viewer, ['alerts', '--json']), 'File/db/conf');
    const ack = remote(tok.operator, ['alerts', 'ack', db.id, '--actionable', '-m', 'real']);
    assert.equal(ack.code, 0, ack.stderr);
    assert.match(ack.stdout, /acknowledged as actionable/);
    const denied = remote(tok.viewer, ['alerts', 'ack', db.id, '--noise']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /needs role operator/);

    const made = remote(tok.operator, [
      'silence',
      'create',
      '--matcher',
      'owner=team-web',
      '--duration',
      '30m',
      '--comment',
      'from the CLI',
      '--json',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const id = json<Silence>(made).id;
    assert.match(
      remote(tok.viewer, ['silence', 'list']).stdout,
      new RegExp(`^${id}\\s+owner=team-web\\s+active`, 'm'),
    );
    const expired = remote(tok.operator, ['silence', 'expire', id]);
    assert.equal(expired.code, 0, expired.stderr);
    assert.match(expired.stdout, new RegExp(`silence ${id} expired`));
  });
});

function byResourceSync(r: CliResult, id: string): Alert {
  const a = json<Alert[]>(r).find((x) => x.labels.resource === id);
  assert.ok(a, `an alert about ${id}`);
  return a;
}
