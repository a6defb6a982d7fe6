/**
 * The HTTP API's authentication and RBAC against a real `setpoint serve` on
 * loopback: tokens made with the CLI, every endpoint without a token (401),
 * with a role too low (403) and with the role it needs; namespace scopes;
 * revocation; failed authentication rate limited (429 + Retry-After);
 * mutations audited with the token's name.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { eventually, json } from './helpers.js';
import { FAST, project, type Project } from './serve-kit.js';
import {
  assertError,
  call,
  createToken,
  nsFile,
  startApi,
  suiteOwner,
  type ApiServing,
} from './server-kit.js';

const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
type Role = (typeof ROLES)[number];

interface Approval {
  id: string;
  resourceId: string;
  state: string;
}

/** Every endpoint that needs a token, with the least role that may call it. Calls with that role must pass the role check. */
const ENDPOINTS: Array<{ method: string; path: string; body?: unknown; role: Role }> = [
  { method: 'GET', path: '/api/v1/info', role: 'viewer' },
  { method: 'GET', path: '/api/v1/status', role: 'viewer' },
  { method: 'GET', path: '/api/v1/resources', role: 'viewer' },
  { method: 'GET', path: '/api/v1/resources/File/web/motd', role: 'viewer' },
  { method: 'POST', path: '/api/v1/resources/File/web/nothing/resume', role: 'operator' },
  { method: 'GET', path: '/api/v1/approvals', role: 'viewer' },
  { method: 'GET', path: '/api/v1/approvals/nothing', role: 'viewer' },
  { method: 'POST', path: '/api/v1/approvals/nothing/approve', body: {}, role: 'approver' },
  { method: 'POST', path: '/api/v1/approvals/nothing/reject', body: {}, role: 'approver' },
  { method: 'GET', path: '/api/v1/events', role: 'viewer' },
  { method: 'GET', path: '/api/v1/audit', role: 'viewer' },
  { method: 'GET', path: '/api/v1/audit/verify', role: 'viewer' },
  { method: 'GET', path: '/api/v1/revisions', role: 'viewer' },
  { method: 'GET', path: '/api/v1/revisions/nothing', role: 'viewer' },
  { method: 'GET', path: '/api/v1/runs', role: 'viewer' },
  { method: 'GET', path: '/api/v1/policies', role: 'viewer' },
  { method: 'POST', path: '/api/v1/plans', body: {}, role: 'operator' },
  { method: 'POST', path: '/api/v1/sync', body: {}, role: 'operator' },
  { method: 'GET', path: '/api/v1/sources', role: 'viewer' },
  { method: 'POST', path: '/api/v1/sources/nothing/pin', body: { revision: 'x' }, role: 'operator' },
  { method: 'POST', path: '/api/v1/sources/nothing/unpin', role: 'operator' },
  { method: 'GET', path: '/api/v1/watch', role: 'viewer' },
  { method: 'GET', path: '/api/v1/tokens', role: 'admin' },
  { method: 'DELETE', path: '/api/v1/tokens/nothing', role: 'admin' },
  { method: 'GET', path: '/metrics', role: 'viewer' },
];

/** Status of a request; an event stream is cut once its headers arrive. */
async function statusOf(
  url: string,
  e: { method: string; path: string; body?: unknown },
  token?: string,
): Promise<{ status: number; text: string; wwwAuth: string | null }> {
  const abort = new AbortController();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (e.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + e.path, {
    method: e.method,
    headers,
    body: e.body === undefined ? undefined : JSON.stringify(e.body),
    signal: abort.signal,
  });
  const sse = (res.headers.get('content-type') ?? '').includes('event-stream');
  const text = sse ? '' : await res.text();
  abort.abort();
  return { status: res.status, text, wwwAuth: res.headers.get('www-authenticate') };
}

describe('HTTP API: authentication and roles', () => {
  let p: Project;
  let api: ApiServing;
  const tokens = {} as Record<Role | 'webViewer' | 'webApprover', string>;
  const owner = suiteOwner();

  before(async () => {
    // Many deliberate failures below: a generous limit here (the limit itself is tested on its own).
    p = project({}, `${FAST}server:\n  authFailures: { burst: 10000 }\n`);
    p.write({
      'manifests/web.yaml':
        [
          nsFile('web', 'motd', join(p.out, 'web-motd'), 'hello\n'),
          nsFile('web', 'gate', join(p.out, 'web-gate'), 'gated\n', 'approve'),
        ].join('\n---\n') + '\n',
      'manifests/db.yaml':
        [
          nsFile('db', 'conf', join(p.out, 'db-conf'), 'db\n'),
          nsFile('db', 'gate', join(p.out, 'db-gate'), 'gated\n', 'approve'),
        ].join('\n---\n') + '\n',
    });
    for (const role of ROLES) tokens[role] = createToken(p, `${role}-token`, role);
    tokens.webViewer = createToken(p, 'web-viewer', 'viewer', ['web']);
    tokens.webApprover = createToken(p, 'web-approver', 'approver', ['web']);
    api = await startApi(owner, p);
    await eventually(
      async () => (await p.approvals()).length === 2,
      'two approvals proposed (web and db gates)',
    );
  });

  it('token create prints the token once; list and the state file never hold it; a second token of one name is refused', () => {
    const list = json<Array<{ name: string; role: string; namespaces: string[]; hash?: string }>>(
      p.ok(['token', 'list', '--json']),
    );
    assert.deepEqual(
      list.map((t) => [t.name, t.role, t.namespaces.join(',')]),
      [
        ['admin-token', 'admin', ''],
        ['approver-token', 'approver', ''],
        ['operator-token', 'operator', ''],
        ['viewer-token', 'viewer', ''],
        ['web-approver', 'approver', 'web'],
        ['web-viewer', 'viewer', 'web'],
      ],
    );
    assert.ok(
      list.every((t) => t.hash === undefined),
      'no hash in the list',
    );
    const human = p.ok(['token', 'list']).stdout;
    const state = ['state.db', 'state.db-wal']
      .map((f) => p.path('.setpoint', f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    for (const t of Object.values(tokens)) {
      assert.ok(!human.includes(t), 'the list does not show the token');
      assert.ok(!state.includes(t), 'the state file does not hold the token');
    }
    const again = p.run(['token', 'create', '--name', 'viewer-token', '--role', 'viewer']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a token named viewer-token exists/);
    const badRole = p.run(['token', 'create', '--name', 'x', '--role', 'root']);
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /expected one of viewer, operator, approver, admin/);
  });

  it('probes and the OpenAPI document answer without a token; every other endpoint answers 401 with WWW-Authenticate', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json'])
      assert.equal((await call(api.url, path)).status, 200, path);
    for (const e of ENDPOINTS) {
      const r = await statusOf(api.url, e);
      assert.equal(r.status, 401, `${e.method} ${e.path} without a token: ${r.text}`);
      assert.match(r.wwwAuth ?? '', /^Bearer/, `${e.method} ${e.path}: WWW-Authenticate`);
      assert.equal(
        (JSON.parse(r.text) as { error: { code: string } }).error.code,
        'SETPOINT_UNAUTHENTICATED',
      );
    }
  });

  it('every endpoint refuses a role below the one it needs (403) and lets that role through', async () => {
    for (const e of ENDPOINTS) {
      const below = ROLES.slice(0, ROLES.indexOf(e.role));
      for (const role of below) {
        const r = await statusOf(api.url, e, tokens[role]);
        assert.equal(r.status, 403, `${e.method} ${e.path} as ${role}: ${r.text}`);
        const body = JSON.parse(r.text) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'SETPOINT_FORBIDDEN');
        assert.match(body.error.message, new RegExp(`needs role ${e.role}`));
      }
      const ok = await statusOf(api.url, e, tokens[e.role]);
      assert.ok(
        ![401, 403, 429].includes(ok.status) && ok.status < 500,
        `${e.method} ${e.path} as ${e.role}: ${ok.status} ${ok.text}`,
      );
    }
  });

  it('a viewer cannot approve; a namespaced approver cannot approve outside its namespace, and can inside it (audited with its name)', async () => {
    const pending = await call<{ items: Approval[] }>(api.url, '/api/v1/approvals', { token: tokens.admin });
    const web = pending.body.items.find((a) => a.resourceId === 'File/web/gate')!;
    const db = pending.body.items.find((a) => a.resourceId === 'File/db/gate')!;
    assert.ok(web && db, JSON.stringify(pending.body));

    assertError(
      await call(api.url, `/api/v1/approvals/${web.id}/approve`, { token: tokens.viewer, body: {} }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    const outside = assertError(
      await call(api.url, `/api/v1/approvals/${db.id}/approve`, { token: tokens.webApprover, body: {} }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    assert.match(outside.error.message, /File\/db\/gate.*scoped to namespace web/);
    assertError(
      await call(api.url, `/api/v1/approvals/${db.id}/reject`, { token: tokens.webApprover, body: {} }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    assert.equal((await p.approvals()).length, 2, 'both still pending');

    const ok = await call<{ state: string; decidedBy: string }>(
      api.url,
      `/api/v1/approvals/${web.id}/approve`,
      { token: tokens.webApprover, body: { note: 'ship it' } },
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.state, 'approved');
    assert.equal(ok.body.decidedBy, 'web-approver');
    await eventually(() => p.read(join(p.out, 'web-gate')) === 'gated\n', 'the approved file to be created');
    const audit = await call<{
      items: Array<{ actor: string; action: string; resourceId?: string; detail?: { note?: string } }>;
    }>(api.url, '/api/v1/audit?action=approval.approve', { token: tokens.admin });
    const entry = audit.body.items.find((e) => e.resourceId === 'File/web/gate');
    assert.equal(entry?.actor, 'web-approver');
    assert.equal(entry?.detail?.note, 'ship it');

    const again = await call(api.url, `/api/v1/approvals/${web.id}/approve`, {
      token: tokens.approver,
      body: {},
    });
    assertError(again, 409, 'SETPOINT_APPROVAL_NOT_PENDING');
    const rejected = await call<{ state: string; decidedBy: string }>(
      api.url,
      `/api/v1/approvals/${db.id.slice(0, 6)}/reject`,
      { token: tokens.approver, body: { note: 'no' } },
    );
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.body.state, 'rejected');
    assert.equal(rejected.body.decidedBy, 'approver-token');
  });

  it('a namespaced token sees only its namespaces: lists, one resource, events, approvals, audit, plans', async () => {
    const t = tokens.webViewer;
    const list = await call<{ items: Array<{ id: string }> }>(api.url, '/api/v1/resources', { token: t });
    assert.deepEqual(
      list.body.items.map((r) => r.id),
      ['File/web/gate', 'File/web/motd'],
    );
    assertError(
      await call(api.url, '/api/v1/resources?namespace=db', { token: t }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    assertError(
      await call(api.url, '/api/v1/resources/File/db/conf', { token: t }),
      403,
      'SETPOINT_FORBIDDEN',
    );
    assert.equal((await call(api.url, '/api/v1/resources/File/web/motd', { token: t })).status, 200);
    const events = await call<{ items: Array<{ resourceId?: string }> }>(
      api.url,
      '/api/v1/events?limit=500',
      { token: t },
    );
    assert.ok(events.body.items.length > 0);
    assert.ok(
      events.body.items.every((e) => e.resourceId?.startsWith('File/web/')),
      JSON.stringify(events.body.items),
    );
    const approvals = await call<{ items: Approval[] }>(api.url, '/api/v1/approvals?state=all', { token: t });
    assert.deepEqual(
      approvals.body.items.map((a) => a.resourceId),
      ['File/web/gate'],
    );
    const audit = await call<{ items: Array<{ resourceId?: string }> }>(api.url, '/api/v1/audit?limit=1000', {
      token: t,
    });
    assert.ok(
      audit.body.items.length > 0 && audit.body.items.every((e) => e.resourceId?.startsWith('File/web/')),
    );
    const all = await call<{ items: Array<{ id: string }> }>(api.url, '/api/v1/resources', {
      token: tokens.viewer,
    });
    assert.equal(all.body.items.length, 4, 'an unscoped token sees every namespace');
    // A scoped operator plans only its namespace.
    const op = createToken(p, 'web-operator', 'operator', ['web']);
    const plan = await call<{ actions: Array<{ id: string }> }>(api.url, '/api/v1/plans', {
      token: op,
      body: {},
    });
    assert.equal(plan.status, 200, plan.text);
    assert.ok(plan.body.actions.length > 0 && plan.body.actions.every((a) => a.id.startsWith('File/web/')));
    assertError(
      await call(api.url, '/api/v1/plans', { token: op, body: { targets: ['File/db/conf'] } }),
      403,
      'SETPOINT_FORBIDDEN',
    );
  });

  it('mutations are audited with the token name: sync, resume, token create and revoke', async () => {
    assert.equal((await call(api.url, '/api/v1/sync', { token: tokens.operator, body: {} })).status, 200);
    const resumed = await call<{ id: string }>(api.url, '/api/v1/resources/File/web/motd/resume', {
      token: tokens.operator,
      method: 'POST',
    });
    assert.equal(resumed.status, 200, resumed.text);
    const created = await call<{ token: string; info: { name: string; role: string } }>(
      api.url,
      '/api/v1/tokens',
      { token: tokens.admin, body: { name: 'made-over-http', role: 'viewer' } },
    );
    assert.equal(created.status, 201, created.text);
    assert.equal(
      (await call(api.url, '/api/v1/info', { token: created.body.token })).status,
      200,
      'a token made over HTTP works at once',
    );
    assert.equal(
      (await call(api.url, '/api/v1/tokens/made-over-http', { token: tokens.admin, method: 'DELETE' }))
        .status,
      200,
    );
    assertError(
      await call(api.url, '/api/v1/info', { token: created.body.token }),
      401,
      'SETPOINT_UNAUTHENTICATED',
    );
    const audit = await call<{ items: Array<{ actor: string; action: string; resourceId?: string }> }>(
      api.url,
      '/api/v1/audit?limit=1000',
      { token: tokens.admin },
    );
    const by = (action: string) => audit.body.items.filter((e) => e.action === action).map((e) => e.actor);
    assert.ok(by('sync.request').includes('operator-token'), JSON.stringify(by('sync.request')));
    assert.ok(by('resource.resume').includes('operator-token'));
    assert.ok(by('token.create').includes('admin-token'));
    assert.ok(by('token.revoke').includes('admin-token'));
    assertError(
      await call(api.url, '/api/v1/tokens', { token: tokens.admin, body: { name: 'x', role: 'root' } }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
  });

  it('a token revoked with the CLI stops working while serve runs', async () => {
    const t = createToken(p, 'short-lived', 'viewer');
    assert.equal((await call(api.url, '/api/v1/info', { token: t })).status, 200);
    p.ok(['token', 'revoke', 'short-lived']);
    assertError(await call(api.url, '/api/v1/info', { token: t }), 401, 'SETPOINT_UNAUTHENTICATED');
    const list = json<Array<{ name: string; revokedAt?: string }>>(p.ok(['token', 'list', '--json']));
    assert.ok(list.find((x) => x.name === 'short-lived')?.revokedAt);
    assert.equal(p.run(['token', 'revoke', 'short-lived']).code, 1, 'revoking twice is an error');
  });
});

describe('HTTP API: failed authentication is rate limited', () => {
  it('no token and wrong tokens answer 401, then 429 with Retry-After, even for a valid token from that address', async (t) => {
    const p = project({
      'manifests/a.yaml': nsFile('web', 'a', '/tmp/setpoint-rate-test-never-written', 'x\n', 'alert'),
    });
    const good = createToken(p, 'good', 'viewer');
    const api = await startApi(t, p);
    assertError(await call(api.url, '/api/v1/resources'), 401, 'SETPOINT_UNAUTHENTICATED');
    const wrong = 'spt_' + 'A'.repeat(43);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 30 && !limited; i++) {
      const r = await call(api.url, '/api/v1/resources', { token: wrong });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, `429 after repeated failures; got ${statuses.join(' ')}`);
    assert.ok(
      statuses.slice(0, -1).every((s) => s === 401),
      'wrong tokens are 401 until the limit',
    );
    const body = assertError(limited, 429, 'SETPOINT_RATE_LIMITED');
    assert.match(body.error.hint ?? '', /retry after \d+s/);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
    assertError(await call(api.url, '/api/v1/resources', { token: good }), 429, 'SETPOINT_RATE_LIMITED');
    assert.equal((await call(api.url, '/healthz')).status, 200, 'probes are not limited');
  });
});
