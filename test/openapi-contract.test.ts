/**
 * The HTTP API keeps the contract it publishes: a real `setpoint serve` is
 * driven through every route in /openapi.json (successes and errors), and
 * each real answer is validated with a JSON Schema validator against the
 * schema the document declares for its status; a route the test did not
 * reach fails it. The document itself passes a real OpenAPI linter.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { eventually } from './helpers.js';
import { FAST, project, replaceFile, type Project } from './serve-kit.js';
import { call, createToken, nsFile, startApi, suiteOwner, until, type ApiServing } from './server-kit.js';

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- walking a JSON document */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('HTTP API contract: /openapi.json against real answers', () => {
  let p: Project;
  let api: ApiServing;
  let doc: Json;
  const tok: Record<string, string> = {};
  const owner = suiteOwner();
  /** "GET /api/v1/resources/{kind}/{namespace}/{name}" -> the statuses seen. */
  const seen = new Map<string, Set<number>>();
  const failures: string[] = [];
  const ajv = new Ajv2020({ strict: false, allErrors: true });

  /** The document's path template that a concrete path matches. */
  function template(method: string, path: string): string | undefined {
    const bare = path.split('?')[0];
    for (const t of Object.keys(doc.paths as Json)) {
      const re = new RegExp('^' + t.replace(/\{\w+\}/g, '[^/]+') + '$');
      if (re.test(bare) && (doc.paths as Json)[t][method.toLowerCase()]) return t;
    }
    return undefined;
  }

  /** One real request; its answer is checked against the declared schema of its status. */
  async function hit(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const a = await call<Json>(api.url, path, { ...options, method });
    const t = template(method, path);
    assert.ok(t, `${method} ${path} is in /openapi.json`);
    const op = (doc.paths as Json)[t][method.toLowerCase()] as Json;
    const declared = (op.responses as Json)[String(a.status)] as Json | undefined;
    if (!declared)
      failures.push(`${method} ${t}: status ${a.status} is not declared (${a.text.slice(0, 200)})`);
    else {
      const [type, media] = Object.entries(declared.content as Json)[0] as [string, Json];
      const schema = media.schema as Json;
      if (type.includes('json')) {
        const ok = ajv.validate({ ...schema, components: doc.components }, a.body);
        if (!ok)
          failures.push(
            `${method} ${t} ${a.status}: ${ajv.errorsText(ajv.errors)}; body ${a.text.slice(0, 300)}`,
          );
      } else assert.equal(typeof a.text, 'string');
    }
    const key = `${method} ${t}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(a.status);
    return a;
  }

  before(async () => {
    p = project(
      {},
      `${FAST}server:\n  authFailures: { burst: 10000 }\nalerts:\n  evaluationInterval: 100ms\n`,
    );
    p.write({
      'manifests/files.yaml':
        [
          nsFile('web', 'motd', join(p.out, 'motd'), 'hello\n'),
          nsFile('web', 'watched', join(p.out, 'watched'), 'watched\n', 'alert'),
          nsFile('db', 'one', join(p.out, 'one'), 'one\n', 'approve'),
          nsFile('db', 'two', join(p.out, 'two'), 'two\n', 'approve'),
        ].join('\n---\n') + '\n',
      'manifests/policy.yaml':
        'kind: Policy\nmetadata: { name: no-w-names }\nspec:\n  rule: "!object.metadata.name.startsWith(\'w\')"\n  message: "${object.metadata.name} starts with w"\n  action: audit\n',
    });
    for (const role of ['viewer', 'operator', 'approver', 'admin']) tok[role] = createToken(p, role, role);
    api = await startApi(owner, p);
    await eventually(
      async () => (await p.approvals()).filter((a) => a.state === 'pending').length === 2,
      'two approvals',
    );
    await eventually(
      async () => (await p.record('File/web/watched'))?.sync === 'InSync',
      'the alert-mode file in sync',
    );
    replaceFile(join(p.out, 'watched'), 'edited\n');
    await until(async () => {
      const r = await call<{ items: unknown[] }>(api.url, '/api/v1/alerts', { token: tok.viewer });
      return r.body.items.length === 1;
    }, 'one alert firing');
    doc = (await call<Json>(api.url, '/openapi.json')).body;
  });

  it('the document passes the Redocly OpenAPI linter (recommended rules) with no errors', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: 'openapi.json',
      config,
    });
    const errors = problems.filter((x) => x.severity === 'error');
    assert.deepEqual(
      errors.map((e) => `${e.ruleId}: ${e.message} at ${e.location[0]?.pointer}`),
      [],
    );
  });

  it('every route declares a success schema, the shared error schema, and 401/403/404/409/429 where they apply', () => {
    for (const [path, ops] of Object.entries(doc.paths as Json))
      for (const [method, op] of Object.entries(ops as Json)) {
        const responses = (op as Json).responses as Json;
        const ok = Object.keys(responses).find((s) => s.startsWith('2'))!;
        const schema = Object.values(responses[ok].content as Json)[0].schema as Json;
        assert.ok(Object.keys(schema).length > 0, `${method} ${path}: ${ok} has a schema`);
        if ((op as Json)['x-setpoint-role'] !== 'public')
          for (const s of ['401', '403', '429'])
            assert.equal(responses[s]?.content['application/json'].schema.$ref, '#/components/schemas/Error');
        if (path.includes('{')) assert.ok(responses['404'], `${method} ${path} declares 404`);
        if (method !== 'get') assert.ok(responses['409'], `${method} ${path} declares 409`);
      }
  });

  it("every route's real answers (successes and errors) validate against the declared schemas", async () => {
    const v = { token: tok.viewer };
    const op = { token: tok.operator };
    await hit('GET', '/healthz');
    await hit('GET', '/readyz');
    await hit('GET', '/openapi.json');
    await hit('GET', '/metrics', v);
    await hit('GET', '/api/v1/info', v);
    await hit('GET', '/api/v1/info');
    await hit('GET', '/api/v1/status', v);
    await hit('GET', '/api/v1/facts', v);
    await hit('GET', '/api/v1/trends/drift', v);
    await hit('GET', '/api/v1/trends/drift?window=nonsense', v);
    await hit('GET', '/api/v1/goals', v);
    await hit('GET', '/api/v1/convergence/critical', v);
    await hit('GET', '/api/v1/convergence/critical?window=forever', v);
    await hit('GET', '/api/v1/resources/File/web/motd/spans', v);
    await hit('GET', '/api/v1/resources/File/web/motd/spans?limit=2', v);
    await hit('GET', '/api/v1/resources/File/web/motd/fate', v);
    await hit('GET', '/api/v1/resources/File/web/never/fate', v);

    await hit('GET', '/api/v1/slos/rules', v);
    await hit('GET', '/api/v1/resources', v);
    await hit('GET', '/api/v1/resources?limit=1', v);
    await hit('GET', '/api/v1/resources?limit=0', v);
    await hit('GET', '/api/v1/resources/File/web/motd', v);
    await hit('GET', '/api/v1/resources/File/web/motd?live=true', v);
    await hit('GET', '/api/v1/resources/File/web/nothing', v);
    await hit('POST', '/api/v1/resources/File/web/motd/resume', op);
    await hit('POST', '/api/v1/resources/File/web/motd/resume', v);

    const approvals = (await hit('GET', '/api/v1/approvals', v)).body.items as Json[];
    assert.equal(approvals.length, 2);
    await hit('GET', `/api/v1/approvals/${approvals[0].id}`, v);
    await hit('POST', `/api/v1/approvals/${approvals[0].id}/approve`, { token: tok.approver, body: {} });
    await hit('POST', `/api/v1/approvals/${approvals[0].id}/approve`, { token: tok.approver, body: {} });
    await hit('POST', `/api/v1/approvals/${approvals[1].id}/reject`, {
      token: tok.approver,
      body: { note: 'no' },
    });
    await hit('GET', '/api/v1/approvals/ffffffff', v);

    await hit('GET', '/api/v1/events', v);
    await hit('GET', '/api/v1/audit', v);
    await hit('GET', '/api/v1/audit/verify', v);
    await hit('GET', '/api/v1/policies', v);
    const revisions = (await hit('GET', '/api/v1/revisions', v)).body.items as Json[];
    await hit('GET', `/api/v1/revisions/${revisions[0].id}`, v);
    await hit('GET', '/api/v1/revisions/ffffffffff', v);
    await hit('GET', '/api/v1/runs', v);

    await hit('POST', '/api/v1/plans', { ...op, body: {} });
    await hit('POST', '/api/v1/sync', { ...op, body: {} });
    const sources = (await hit('GET', '/api/v1/sources', v)).body.items as Json[];
    const source = sources[0].name as string;
    // A folder source has no history: pin and unpin answer 409 here (their success shapes are the
    // store's types, checked against the schemas at compile time; the Git tests pin for real).
    await hit('POST', `/api/v1/sources/${source}/pin`, { ...op, body: { revision: revisions[0].id } });
    await hit('POST', `/api/v1/sources/${source}/unpin`, op);
    await hit('POST', `/api/v1/sources/${source}/unpin`, op);
    await hit('POST', '/api/v1/sources/nowhere/unpin', op);

    await hit('POST', '/api/v1/prune', { token: tok.admin, body: {} });
    await hit('POST', '/api/v1/prune', { ...op, body: {} });
    await hit('POST', '/api/v1/webhooks/git', { body: { ref: 'refs/heads/main' } });

    const tokens = await hit('GET', '/api/v1/tokens', { token: tok.admin });
    assert.ok((tokens.body.items as Json[]).length >= 4);
    await hit('POST', '/api/v1/tokens', { token: tok.admin, body: { name: 'extra', role: 'viewer' } });
    await hit('POST', '/api/v1/tokens', { token: tok.admin, body: { name: 'extra', role: 'viewer' } });
    await hit('DELETE', '/api/v1/tokens/extra', { token: tok.admin });

    const alerts = (await hit('GET', '/api/v1/alerts?all=true', v)).body.items as Json[];
    await hit('POST', `/api/v1/alerts/${alerts[0].id}/ack`, { ...op, body: { actionable: true } });
    const silence = await hit('POST', '/api/v1/silences', {
      ...op,
      body: { matchers: ['owner=team-web'], duration: '1h', comment: 'maintenance' },
    });
    await hit('GET', '/api/v1/silences', v);
    await hit('DELETE', `/api/v1/silences/${silence.body.id as string}`, op);

    // The fleet: an admin makes an enrolment token, a node enrols with it and uses its own routes.
    const enrol = await hit('POST', '/api/v1/nodes/enroll-tokens', {
      token: tok.admin,
      body: { ttlMs: 60_000, labels: { env: 'test' } },
    });
    await hit('POST', '/api/v1/nodes/enroll-tokens', { ...op, body: { ttlMs: 60_000 } });
    const enrolled = await hit('POST', '/api/v1/fleet/enroll', {
      body: { token: enrol.body.token as string, name: 'n1', agentVersion: '0.0.0' },
    });
    await hit('POST', '/api/v1/fleet/enroll', { body: { token: 'spe_unknown', name: 'n2' } });
    const node = { token: enrolled.body.token as string };
    await hit('GET', '/api/v1/fleet/nodes/n1/desired?wait=0', node);
    await hit('GET', '/api/v1/fleet/nodes/n2/desired?wait=0', node);
    const batch = {
      id: 'b1',
      createdAt: new Date().toISOString(),
      agentVersion: '0.0.0',
      events: [],
      episodes: [],
      audit: [],
      dropped: 0,
    };
    await hit('POST', '/api/v1/fleet/nodes/n1/reports', { ...node, body: batch });
    await hit('POST', '/api/v1/fleet/nodes/n1/reports', { ...node, body: batch });
    await hit('GET', '/api/v1/nodes', v);
    const proposal = {
      localId: 'a1b2c3d4',
      resourceId: 'File/default/motd',
      revision: 'r1',
      op: 'update',
      reason: 'content differs (remediation: approve)',
      destructive: false,
      changes: [{ path: 'spec.content', diff: '-a\n+b' }],
      desiredDigest: 'd1',
      changeDigest: 'c1:update',
      state: 'pending',
      createdAt: new Date().toISOString(),
    };
    await hit('POST', '/api/v1/fleet/nodes/n1/gates?wait=0', { ...node, body: { approvals: [proposal] } });
    await hit('POST', '/api/v1/fleet/nodes/n2/gates', { ...node, body: { approvals: [] } });
    await hit('GET', '/api/v1/nodes/n1/windows', v);
    await hit('GET', '/api/v1/nodes/n1', v);
    await hit('GET', '/api/v1/nodes/nobody', v);
    await hit('GET', '/api/v1/nodes/n1/set', v);
    await hit('GET', '/api/v1/nodes/n1/events?limit=5', v);
    await hit('POST', '/api/v1/nodes/n1/rotate', { token: tok.admin });
    const rotated = await hit('POST', '/api/v1/fleet/nodes/n1/rotate', node);
    await hit('POST', '/api/v1/nodes/n1/revoke', { token: tok.admin });
    await hit('GET', '/api/v1/fleet/nodes/n1/desired?wait=0', { token: rotated.body.token as string });

    // Rollouts: this project has no strategy (that needs a Git source): a list, the roles, a clear 404.
    await hit('GET', '/api/v1/rollouts', v);
    await hit('GET', '/api/v1/rollouts?source=nope', v);
    for (const verb of ['pause', 'resume', 'promote', 'abort']) {
      await hit('POST', `/api/v1/rollouts/${verb}`, { ...v, body: {} });
      await hit('POST', `/api/v1/rollouts/${verb}`, { token: tok.admin, body: {} });
    }

    // The stream: headers and the first message are enough to know it answers.
    const abort = new AbortController();
    const res = await fetch(`${api.url}/api/v1/watch`, {
      headers: { authorization: `Bearer ${tok.viewer}` },
      signal: abort.signal,
    });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    abort.abort();
    seen.set('GET /api/v1/watch', new Set([res.status]));

    assert.deepEqual(failures, []);
    const routes = Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
      Object.keys(ops as Json).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(
      routes.filter((r) => !seen.has(r)),
      [],
      'every route was called',
    );
    const successes = [...seen].filter(([, s]) => [...s].some((x) => x < 300)).map(([r]) => r);
    assert.deepEqual(
      routes.filter((r) => !successes.includes(r) && !/webhooks|\/pin$|\/unpin$|\/rollouts\/\w+$/.test(r)),
      [],
      'every route answered a success at least once',
    );
  });
});
