/**
 * HttpCheck through the CLI against a real HTTP service: a passing check lets
 * the resources that depend on it act; a failing one is reported (plan shows
 * the measured status, status and describe say Degraded with the figures,
 * apply exits 1 and its dependents wait); the secret header it sends never
 * reaches the plan, events, status or the state store.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exited, json, sandbox, type CliOptions } from './helpers.js';

const SECRET = 'hc-secret-5d1e77b0';
let server: Server;
let port: number;
let up = true;

before(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.headers.authorization !== `Bearer ${SECRET}` ? 401 : up ? 200 : 503;
    res.end(JSON.stringify({ status: up ? 'ok' : 'failing' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

/** Is the secret anywhere in the state folder's files (SQLite db, WAL, work files)? */
function stateHolds(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

describe('HttpCheck through the CLI', () => {
  it('gates its dependents, reports the figures, and never leaks its secret header', async () => {
    const s = sandbox('setpoint-http-check-');
    // The service runs in this process: the CLI must run without blocking its event loop.
    const run = (args: string[], options?: CliOptions) => exited(s.spawn(args, options));
    const env = { API_TOKEN: `Bearer ${SECRET}` };
    s.write({
      'out/.keep': '',
      'm/check.yaml': `kind: HttpCheck
metadata: { name: api-up }
spec:
  url: http://127.0.0.1:${port}/health
  headers: { Authorization: { secretRef: { env: API_TOKEN } } }
  expect: { status: [200], json: { path: $.status, equals: ok }, maxLatency: 2s }
---
kind: File
metadata: { name: release }
spec: { path: ${s.path('out', 'release')}, content: "v1\\n" }
dependsOn: [HttpCheck/api-up]
`,
    });
    const first = await run(['apply', '-f', 'm', '--yes'], { env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.ok(existsSync(s.path('out', 'release')), 'a passing check lets its dependent act');
    const described = await run(['describe', 'HttpCheck/api-up', '-f', 'm'], { env });
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Healthy/);
    assert.match(described.stdout, /200 in \d+ms, \$\.status matched/);

    up = false;
    try {
      s.write({
        'm/check.yaml': readFileSync(s.path('m', 'check.yaml'), 'utf8').replace(
          'content: "v1',
          'content: "v2',
        ),
      });
      const plan = await run(['plan', '-f', 'm', '--json'], { env });
      assert.match(plan.stdout, /spec\.expect\.status/);
      assert.match(plan.stdout, /503/);
      const applied = await run(['apply', '-f', 'm', '--yes'], { env });
      assert.equal(applied.code, 1, applied.stdout + applied.stderr);
      assert.match(applied.stdout + applied.stderr, /HttpCheck\/default\/api-up/);
      assert.equal(readFileSync(s.path('out', 'release'), 'utf8'), 'v1\n', 'the dependent waited');
      const status = json<{ resources: Array<{ id: string; health: string; healthMessage?: string }> }>(
        await run(['status', '--json']),
      ).resources.find((r) => r.id === 'HttpCheck/default/api-up');
      assert.equal(status?.health, 'Degraded');
      assert.match(status?.healthMessage ?? '', /503 in \d+ms/);

      const everything = [
        plan.stdout,
        plan.stderr,
        applied.stdout,
        applied.stderr,
        (await run(['events', '-n', '500', '--json'])).stdout,
        (await run(['status', '--json'])).stdout,
      ].join('\n');
      assert.ok(!everything.includes(SECRET), 'the secret is in no output');
      assert.deepEqual(stateHolds(s.dir, SECRET), [], 'the secret is in no file of the project or its state');
    } finally {
      up = true;
    }
  });
});
