/**
 * A secret that cannot be resolved any more (the quickstart's
 * QUICKSTART_TOKEN no longer exported; issue 10, defect 6b): plan, drift and
 * describe report the resource as unknown, with a warning naming the
 * resource, the field and the variable, and exit 0; the other resources are
 * compared as usual. Apply refuses, naming the variable, and changes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { json, sandbox, type CliResult, type Sandbox } from './helpers.js';

const VAR = 'SP_UNKNOWN_TEST_TOKEN';
const TOKEN = 'File/default/token';

interface Diag {
  severity: string;
  code: string;
  summary: string;
  resourceId?: string;
  field?: string;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The one warning: names the resource, the field and the variable. */
function assertNamed(diagnostics: Diag[]): void {
  const warnings = diagnostics.filter((d) => d.resourceId === TOKEN);
  assert.equal(warnings.length, 1, JSON.stringify(diagnostics));
  const [w] = warnings;
  assert.equal(w.severity, 'warning');
  assert.equal(w.code, 'SETPOINT_SECRET_UNRESOLVED');
  assert.equal(w.field, 'spec.contentFrom.secretRef');
  assert.match(w.summary, new RegExp(`${TOKEN} is unknown: .*${VAR}`));
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
}

describe('a secret that does not resolve makes its resource unknown, not an error', () => {
  let s: Sandbox;
  const without = { env: { [VAR]: undefined } };
  before(() => {
    s = sandbox();
    s.write({
      'm/files.yaml': `kind: File
metadata: { name: token }
spec:
  path: ${s.path('out-token')}
  contentFrom: { secretRef: { env: ${VAR} } }
  mode: "0600"
---
kind: File
metadata: { name: motd }
spec: { path: ${s.path('out-motd')}, content: "hello\\n" }
`,
    });
    ok(s.run(['apply', '-f', 'm', '--yes'], { env: { [VAR]: 's3cret' } }), 'apply with the variable');
  });

  it('plan: exit 0, the resource listed as unknown with a warning, the others compared', () => {
    const r = ok(s.run(['plan', '-f', 'm', '--json'], without), 'plan');
    const plan = json<{ unknown: string[]; actions: Array<{ id: string; op: string }>; diagnostics: Diag[] }>(
      r,
    );
    assert.deepEqual(plan.unknown, [TOKEN]);
    assert.deepEqual(
      plan.actions.map((a) => [a.id, a.op]),
      [['File/default/motd', 'noop']],
    );
    assertNamed(plan.diagnostics);
    const text = ok(s.run(['plan', '-f', 'm'], without), 'plan (text)');
    assert.match(text.stdout, /\? File\/default\/token {2}\(unknown/);
    assert.match(text.stderr + text.stdout, new RegExp(VAR));
  });

  it('drift: exit 0, unknown, not in sync and not drifted; the record stays in sync', () => {
    const r = ok(s.run(['drift', '-f', 'm', '--json'], without), 'drift');
    const drift = json<{ drifted: boolean; inSync: number; unknown: string[]; diagnostics: Diag[] }>(r);
    assert.equal(drift.drifted, false);
    assert.equal(drift.inSync, 1);
    assert.deepEqual(drift.unknown, [TOKEN]);
    assertNamed(drift.diagnostics);
    const text = ok(s.run(['drift', '-f', 'm'], without), 'drift (text)');
    assert.match(text.stdout, /1 in sync, 1 unknown\./);
    const status = json<{ resources: Array<{ id: string; sync: string }> }>(
      ok(s.run(['status', '--json'], without), 'status'),
    );
    assert.equal(status.resources.find((x) => x.id === TOKEN)?.sync, 'InSync');
  });

  it('describe: exit 0, unknown, with the warning', () => {
    const r = ok(s.run(['describe', TOKEN, '-f', 'm', '--json'], without), 'describe');
    const d = json<{ unknown?: boolean; changes: unknown[]; diagnostics: Diag[] }>(r);
    assert.equal(d.unknown, true);
    assert.deepEqual(d.changes, []);
    assertNamed(d.diagnostics);
    const text = ok(s.run(['describe', TOKEN, '-f', 'm'], without), 'describe (text)');
    assert.match(text.stdout, /Actual: {2}\(unknown/);
  });

  it('apply refuses, naming the variable, and changes nothing', () => {
    const r = s.run(['apply', '-f', 'm', '--yes'], without);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`${VAR} is not set`));
    assert.match(r.stderr, /nothing was applied/);
    assert.equal(readFileSync(s.path('out-token'), 'utf8'), 's3cret');
  });
});
