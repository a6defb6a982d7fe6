/**
 * The HTTP API's endpoints against a real `setpoint serve` on loopback:
 * resources (filters, paging, the cheap stored read and the live describe),
 * status, revisions and runs, plans, events, audit, metrics, probes, the
 * OpenAPI document, and errors as JSON with a code and a hint.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { eventually } from './helpers.js';
import { FAST, project, type Project } from './serve-kit.js';
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
import { Setpoint } from '../src/api/index.js';
import { createApp, createContext } from '../src/server/index.js';
import { silentLogger } from '../src/telemetry/index.js';

interface Record_ {
  id: string;
  sync: string;
  health: string;
  labels: Record<string, string>;
  drift?: Array<{ path: string }>;
}

describe('HTTP API: endpoints', () => {
  let p: Project;
  let api: ApiServing;
  let viewer: string;
  let operator: string;
  const owner = suiteOwner();
  const get = <T = Record<string, unknown>>(path: string) => call<T>(api.url, path, { token: viewer });

  before(async () => {
    p = project({}, `${FAST}server:\n  authFailures: { burst: 10000 }\n`);
    p.write({
      'manifests/web.yaml':
        [
          nsFile('web', 'motd', join(p.out, 'motd'), 'hello\n'),
          nsFile('web', 'banner', join(p.out, 'banner'), 'banner\n', 'alert'),
        ].join('\n---\n') + '\n',
      'manifests/db.yaml': nsFile('db', 'conf', join(p.out, 'conf'), 'db\n') + '\n',
      'manifests/policy.yaml':
        'kind: Policy\nmetadata: { name: no-b-names }\nspec:\n  rule: "!object.metadata.name.startsWith(\'b\')"\n  message: "${object.metadata.name} starts with b"\n  action: audit\n',
    });
    viewer = createToken(p, 'viewer', 'viewer');
    operator = createToken(p, 'operator', 'operator');
    api = await startApi(owner, p);
    await eventually(
      async () => (await p.status()).length === 3 && (await p.status()).every((r) => r.sync === 'InSync'),
      'three resources in sync',
    );
  });

  it('GET /api/v1/resources lists and filters by kind, namespace, label selector, sync and health, and pages in id order', async () => {
    const all = await get<{
      items: Record_[];
      counts: { total: number; bySync: Record<string, number> };
      next?: string;
    }>('/api/v1/resources');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.items.map((r) => r.id),
      ['File/db/conf', 'File/web/banner', 'File/web/motd'],
    );
    assert.deepEqual(all.body.counts, { total: 3, bySync: { InSync: 3 }, byHealth: { Healthy: 3 } });
    assert.equal(all.body.next, undefined);
    const ids = async (q: string) =>
      (await get<{ items: Record_[] }>(`/api/v1/resources?${q}`)).body.items.map((r) => r.id);
    assert.deepEqual(await ids('namespace=web'), ['File/web/banner', 'File/web/motd']);
    assert.deepEqual(await ids('kind=File&namespace=db'), ['File/db/conf']);
    assert.deepEqual(await ids('kind=Directory'), []);
    assert.deepEqual(await ids('selector=team=db'), ['File/db/conf']);
    assert.deepEqual(await ids('selector=team=web'), ['File/web/banner', 'File/web/motd']);
    assert.deepEqual(await ids('sync=InSync&health=Healthy'), [
      'File/db/conf',
      'File/web/banner',
      'File/web/motd',
    ]);
    assert.deepEqual(await ids('sync=Drifted'), []);
    const page1 = await get<{ items: Record_[]; next?: string }>('/api/v1/resources?limit=2');
    assert.deepEqual(
      page1.body.items.map((r) => r.id),
      ['File/db/conf', 'File/web/banner'],
    );
    assert.equal(page1.body.next, 'File/web/banner');
    const page2 = await get<{ items: Record_[]; next?: string }>(
      `/api/v1/resources?limit=2&after=${encodeURIComponent(page1.body.next)}`,
    );
    assert.deepEqual(
      page2.body.items.map((r) => r.id),
      ['File/web/motd'],
    );
    assert.equal(page2.body.next, undefined);

    const bad = assertError(await get('/api/v1/resources?sync=Sideways'), 400, 'SETPOINT_BAD_REQUEST');
    assert.match(bad.error.message, /sync/);
    assert.ok(bad.error.hint);
    assertError(await get('/api/v1/resources?colour=red'), 400, 'SETPOINT_BAD_REQUEST');
    assertError(await get('/api/v1/resources?selector=novalue'), 400, 'SETPOINT_BAD_REQUEST');
    assertError(await get('/api/v1/resources?selector=team=web,team=db'), 400, 'SETPOINT_BAD_REQUEST');
    assertError(await get('/api/v1/resources?limit=0'), 400, 'SETPOINT_BAD_REQUEST');
  });

  it('GET one resource: the stored record cheaply, or observed live with ?live=true; drift shows in both', async () => {
    writeFileSync(join(p.out, 'banner'), 'edited by hand\n');
    await until(
      async () =>
        (await get<{ record: Record_ }>('/api/v1/resources/File/web/banner')).body.record.sync === 'Held',
      'banner Held in alert mode (not repaired)',
    );
    const stored = await get<{
      id: string;
      live: boolean;
      record: Record_;
      desired: { content: string };
      changes: Array<{ path: string }>;
      events: Array<{ reason: string }>;
    }>('/api/v1/resources/File/web/banner');
    assert.equal(stored.status, 200);
    assert.equal(stored.body.live, false);
    assert.equal(stored.body.id, 'File/web/banner');
    assert.equal(stored.body.desired.content, 'banner\n');
    assert.deepEqual(
      stored.body.changes.map((c) => c.path),
      ['spec.content'],
    );
    assert.ok(
      stored.body.events.some((e) => e.reason === 'DriftDetected'),
      JSON.stringify(stored.body.events),
    );
    const noEvents = await get<{ events: unknown[] }>('/api/v1/resources/File/web/banner?events=0');
    assert.deepEqual(noEvents.body.events, []);

    const live = await get<{
      live: boolean;
      exists: boolean;
      actual: { content: string };
      changes: Array<{ path: string; old: string; new: string }>;
    }>('/api/v1/resources/File/web/banner?live=true');
    assert.equal(live.status, 200, live.text);
    assert.equal(live.body.live, true);
    assert.equal(live.body.exists, true);
    assert.equal(live.body.actual.content, 'edited by hand\n');
    assert.deepEqual(
      live.body.changes.map((c) => [c.path, c.old, c.new]),
      [['spec.content', 'edited by hand\n', 'banner\n']],
    );

    const missing = assertError(await get('/api/v1/resources/File/web/nothing'), 404, 'SETPOINT_NOT_FOUND');
    assert.match(missing.error.hint ?? '', /GET \/api\/v1\/resources/);
    assertError(await get('/api/v1/resources/File/web/nothing?live=true'), 404, 'SETPOINT_NOT_FOUND');
    assertError(await get('/api/v1/resources/File/web/banner?live=maybe'), 400, 'SETPOINT_BAD_REQUEST');
  });

  it('POST /api/v1/plans computes a plan for the current desired state without changing anything', async () => {
    writeFileSync(join(p.out, 'banner'), 'edited again\n');
    const plan = await call<{
      summary: Record<string, number>;
      changes: boolean;
      actions: Array<{ id: string; op: string; changes: Array<{ path: string }> }>;
    }>(api.url, '/api/v1/plans', {
      token: operator,
      body: {},
    });
    assert.equal(plan.status, 200, plan.text);
    assert.equal(plan.body.changes, true);
    const banner = plan.body.actions.find((a) => a.id === 'File/web/banner');
    assert.equal(banner?.op, 'update');
    assert.deepEqual(
      banner?.changes.map((c) => c.path),
      ['spec.content'],
    );
    assert.equal(plan.body.actions.find((a) => a.id === 'File/web/motd')?.op, 'noop');
    assert.equal(plan.body.summary.update, 1);
    assert.equal(p.read(join(p.out, 'banner')), 'edited again\n', 'a plan changes nothing');
    const targeted = await call<{ actions: Array<{ id: string }> }>(api.url, '/api/v1/plans', {
      token: operator,
      body: { targets: ['File/db/conf'] },
    });
    assert.deepEqual(
      targeted.body.actions.map((a) => a.id),
      ['File/db/conf'],
    );
    assertError(
      await call(api.url, '/api/v1/plans', { token: operator, body: { targets: 'File/db/conf' } }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
    assertError(
      await call(api.url, '/api/v1/plans', { token: operator, body: '{not json' }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
    assertError(
      await call(api.url, '/api/v1/plans', { token: operator, body: { prune: true, force: true } }),
      400,
      'SETPOINT_BAD_REQUEST',
    );
  });

  it('status, info, revisions, runs, events (paging forward) and the audit trail', async () => {
    const info = await get<{
      version: string;
      namespace: string;
      revision: string;
      token: { name: string; role: string };
    }>('/api/v1/info');
    assert.equal(info.body.namespace, 'default');
    assert.deepEqual(info.body.token, { name: 'viewer', role: 'viewer', namespaces: [] });
    assert.match(info.body.revision, /^[0-9a-f]{16}$/);
    const status = await get<{
      serve: { revision: string; queueDepth: number };
      convergence: { revisions: Array<{ id: string }> };
    }>('/api/v1/status');
    assert.equal(status.body.serve.revision, info.body.revision);
    assert.equal(status.body.convergence.revisions[0]?.id, info.body.revision);

    const revisions = await get<{ items: Array<{ id: string; admitted: boolean }> }>('/api/v1/revisions');
    assert.equal(revisions.body.items[0].id, info.body.revision);
    assert.equal(revisions.body.items[0].admitted, true);
    const one = await get<{ id: string }>(`/api/v1/revisions/${info.body.revision.slice(0, 8)}`);
    assert.equal(one.body.id, info.body.revision);
    assertError(await get('/api/v1/revisions/ffffffffffff'), 404, 'SETPOINT_NOT_FOUND');
    assert.ok(Array.isArray((await get<{ items: unknown[] }>('/api/v1/runs')).body.items));

    const events = await get<{ items: Array<{ seq: number; reason: string; resourceId?: string }> }>(
      '/api/v1/events?limit=1000',
    );
    assert.ok(events.body.items.some((e) => e.reason === 'RevisionAdmitted'));
    const seqs = events.body.items.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'oldest first',
    );
    const after = await get<{ items: Array<{ seq: number }> }>(`/api/v1/events?after=${seqs[1]}&limit=2`);
    assert.deepEqual(
      after.body.items.map((e) => e.seq),
      seqs.slice(2, 4),
    );
    const motd = await get<{ items: Array<{ resourceId?: string }> }>(
      '/api/v1/events?resource=File/web/motd',
    );
    assert.ok(motd.body.items.length > 0 && motd.body.items.every((e) => e.resourceId === 'File/web/motd'));

    const audit = await get<{
      items: Array<{ seq: number; action: string; hash: string; prevHash: string }>;
    }>('/api/v1/audit?limit=1000');
    assert.ok(audit.body.items.some((e) => e.action === 'revision.admit'));
    const creates = await get<{ items: Array<{ action: string }> }>('/api/v1/audit?action=token.create');
    assert.equal(creates.body.items.length, 2);
    const verify = await get<{ ok: boolean; entries: number }>('/api/v1/audit/verify');
    assert.equal(verify.body.ok, true);
    assert.equal(verify.body.entries, audit.body.items[audit.body.items.length - 1].seq);
  });

  it('GET /api/v1/policies lists the declared policies with their recorded violations', async () => {
    const r = await get<{
      policies: Array<{ name: string; action: string; rule: string }>;
      violations: Array<{ policy: string; resourceId: string; action: string; message: string }>;
    }>('/api/v1/policies');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.body.policies.map((x) => [x.name, x.action]),
      [['no-b-names', 'audit']],
    );
    const v = r.body.violations.find((x) => x.resourceId === 'File/web/banner');
    assert.equal(v?.policy, 'no-b-names');
    assert.equal(v?.message, 'banner starts with b');
    assertError(await get('/api/v1/policies?limit=zero'), 400, 'SETPOINT_BAD_REQUEST');
  });

  it('probes answer without a token; /metrics needs one (it is not public here); unknown routes are JSON 404s', async () => {
    assert.deepEqual((await call(api.url, '/healthz')).body, { ok: true });
    const ready = await call<{ ready: boolean; revision: string }>(api.url, '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
    assertError(await call(api.url, '/metrics'), 401, 'SETPOINT_UNAUTHENTICATED');
    const metrics = await call<string>(api.url, '/metrics', { token: viewer });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(metrics.text, /^# TYPE setpoint_revision_convergence_seconds histogram$/m);
    assert.match(metrics.text, /^setpoint_managed_resources\{kind="File"\} 3$/m);
    const nowhere = assertError(
      await call(api.url, '/api/v1/nowhere', { token: viewer }),
      404,
      'SETPOINT_NOT_FOUND',
    );
    assert.match(nowhere.error.hint ?? '', /openapi\.json/);
    const hook = assertError(
      await call(api.url, '/api/v1/webhooks/git', { body: {} }),
      404,
      'SETPOINT_WEBHOOK_DISABLED',
    );
    assert.match(hook.error.hint ?? '', /server\.webhook\.secretRef/);
  });

  it('/openapi.json is an OpenAPI 3.1 document naming every route with its role, parameters and error answers', async () => {
    const doc = await call<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<
        string,
        Record<
          string,
          {
            operationId: string;
            summary: string;
            'x-setpoint-role': string;
            security: unknown[];
            parameters: Array<{ name: string; in: string }>;
            responses: Record<string, unknown>;
            requestBody?: unknown;
          }
        >
      >;
      components: { securitySchemes: Record<string, { scheme: string }>; schemas: Record<string, unknown> };
    }>(api.url, '/openapi.json');
    assert.equal(doc.status, 200);
    assert.doesNotThrow(() => JSON.parse(doc.text));
    assert.equal(doc.body.openapi, '3.1.0');
    assert.equal(doc.body.components.securitySchemes.bearer.scheme, 'bearer');
    assert.ok(doc.body.components.schemas.Error);
    const routes = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const expected = [
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /openapi.json',
      'GET /api/v1/info',
      'GET /api/v1/status',
      'GET /api/v1/resources',
      'GET /api/v1/resources/{kind}/{namespace}/{name}',
      'POST /api/v1/resources/{kind}/{namespace}/{name}/resume',
      'GET /api/v1/approvals',
      'GET /api/v1/approvals/{id}',
      'POST /api/v1/approvals/{id}/approve',
      'POST /api/v1/approvals/{id}/reject',
      'GET /api/v1/events',
      'GET /api/v1/audit',
      'GET /api/v1/audit/verify',
      'GET /api/v1/revisions',
      'GET /api/v1/revisions/{id}',
      'GET /api/v1/runs',
      'GET /api/v1/policies',
      'POST /api/v1/plans',
      'POST /api/v1/sync',
      'GET /api/v1/sources',
      'POST /api/v1/sources/{name}/pin',
      'POST /api/v1/sources/{name}/unpin',
      'GET /api/v1/watch',
      'POST /api/v1/webhooks/git',
      'GET /api/v1/tokens',
      'POST /api/v1/tokens',
      'DELETE /api/v1/tokens/{name}',
      'GET /api/v1/alerts',
      'POST /api/v1/alerts/{id}/ack',
      'GET /api/v1/silences',
      'POST /api/v1/silences',
      'DELETE /api/v1/silences/{id}',
      'GET /api/v1/facts',
    ];
    for (const r of expected) assert.ok(routes.includes(r), `${r} is in the document`);
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.body.paths))
      for (const [method, op] of Object.entries(ops)) {
        assert.ok(op.summary && op.operationId, `${method} ${path}: summary and operationId`);
        assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
        ids.add(op.operationId);
        assert.ok(op.responses.default, `${method} ${path}: an error answer`);
        for (const name of path.match(/\{(\w+)\}/g) ?? [])
          assert.ok(
            op.parameters.some((x) => x.in === 'path' && `{${x.name}}` === name),
            `${method} ${path}: path parameter ${name}`,
          );
        const role = op['x-setpoint-role'];
        assert.ok(
          ['public', 'viewer', 'operator', 'approver', 'admin', 'node'].includes(role),
          `${method} ${path}: role`,
        );
        assert.equal(
          op.security.length === 0,
          role === 'public',
          `${method} ${path}: security matches the role`,
        );
      }
    const list = doc.body.paths['/api/v1/resources'].get;
    assert.deepEqual(list.parameters.map((x) => x.name).sort(), [
      'after',
      'health',
      'kind',
      'limit',
      'namespace',
      'selector',
      'sync',
    ]);
    assert.ok(
      doc.body.paths['/api/v1/approvals/{id}/approve'].post.requestBody,
      'request bodies are described',
    );
  });
});

describe('HTTP API: readiness while stopping (in-process app)', () => {
  it('/readyz answers 503 once draining begins while /healthz still answers', async () => {
    const p = project({
      'manifests/a.yaml': nsFile('web', 'a', '/tmp/setpoint-readyz-never-written', 'x\n', 'alert'),
    });
    const sp = await Setpoint.open({ project: p.dir, logFile: false });
    try {
      const ctx = createContext({ api: sp, logger: silentLogger() });
      const { app } = createApp(ctx);
      assert.equal((await app.request('/readyz')).status, 200, 'ready without a controller to wait for');
      ctx.draining = true;
      const r = await app.request('/readyz');
      assert.equal(r.status, 503);
      assert.deepEqual(await r.json(), { ready: false, reason: 'stopping' });
      assert.equal((await app.request('/healthz')).status, 200);
    } finally {
      await sp.close();
    }
  });
});
