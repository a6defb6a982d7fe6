/**
 * Policies with the real CLI, one-shot: `validate` (deny fails with message
 * and location, warn warns, audit is listed), a bad CEL rule, `apply`
 * refusing a plan a deny policy blocks (nothing applied, audited), audit mode
 * letting it through and counting, `policies`, `policy test`, `schema Policy`.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { json, ROOT, sandbox, type Sandbox } from './helpers.js';

interface Diag {
  severity: string;
  code: string;
  summary: string;
  file?: string;
  line?: number;
  column?: number;
  resourceId?: string;
  field?: string;
  detail?: string;
}

interface ViolationRow {
  policy: string;
  resourceId: string;
  revisionId?: string;
  action: string;
  phase: string;
  blocked: boolean;
  message: string;
  time: string;
}

interface Listing {
  policies: Array<{ name: string; action: string; runtime: boolean; violations: number }>;
  totals: Array<{ policy: string; action: string; count: number; blocked: number }>;
  violations: ViolationRow[];
}

function policy(action: string, rule = "!(object.spec.mode in ['0666', '0777'])"): string {
  return `kind: Policy
metadata:
  name: no-world-writable
spec:
  match: { kinds: [File], labels: { tier: critical } }
  rule: "${rule}"
  message: "\${object.metadata.name} must not be world-writable (mode \${object.spec.mode})"
  action: ${action}
`;
}

/** Two critical files (one world-writable) and one that is not critical (world-writable too, not matched). */
function project(action: string, rule?: string): Sandbox {
  const s = sandbox('setpoint-policy-');
  s.write({
    'setpoint.yaml': '',
    'out/.keep': '',
    'manifests/policies/world.yaml': policy(action, rule),
    'manifests/files.yaml': [
      `kind: File\nmetadata: { name: open, labels: { tier: critical } }\nspec: { path: ${s.path('out', 'open')}, content: "x\\n", mode: "0777" }\n`,
      `kind: File\nmetadata: { name: closed, labels: { tier: critical } }\nspec: { path: ${s.path('out', 'closed')}, content: "x\\n", mode: "0644" }\n`,
      `kind: File\nmetadata: { name: scratch }\nspec: { path: ${s.path('out', 'scratch')}, content: "x\\n", mode: "0666" }\n`,
    ].join('---\n'),
  });
  return s;
}

const violations = (s: Sandbox) => json<Listing>(s.run(['policies', '--json']));

describe('policies: validate', () => {
  test('a deny policy fails validate, naming the policy, the resource, its location and the message', () => {
    const s = project('deny');
    const r = s.run(['validate']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /^error: manifests\/files\.yaml:1:1: File\/default\/open: denied by policy no-world-writable: open must not be world-writable \(mode 0777\)$/m,
    );
    assert.match(r.stderr, /policy no-world-writable \(.*manifests\/policies\/world\.yaml:1\), action deny/);
    assert.match(r.stderr, /^1 error$/m);
    assert.doesNotMatch(r.stderr, /scratch|closed/, 'only matching, violating resources are reported');
    const data = json<{
      valid: boolean;
      policies: number;
      violations: Array<{ policy: string; resourceId: string; action: string; line: number }>;
      diagnostics: Diag[];
    }>(s.run(['validate', '--json']));
    assert.equal(data.valid, false);
    assert.equal(data.policies, 1);
    assert.deepEqual(
      data.violations.map((v) => [v.policy, v.resourceId, v.action, v.line]),
      [['no-world-writable', 'File/default/open', 'deny', 1]],
    );
    assert.deepEqual(
      data.diagnostics.map((d) => [d.severity, d.code, d.file, d.line, d.column, d.resourceId]),
      [['error', 'SETPOINT_POLICY_DENIED', s.path('manifests', 'files.yaml'), 1, 1, 'File/default/open']],
    );
    assert.equal(existsSync(s.state), false, 'validate touches no state');
  });

  test('a warn policy prints a warning and passes', () => {
    const s = project('warn');
    const r = s.run(['validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: manifests\/files\.yaml:1:1: File\/default\/open: policy no-world-writable \(warn\): open must not be world-writable \(mode 0777\)$/m,
    );
    assert.match(r.stderr, /^0 errors, 1 warning$/m);
    assert.equal(r.stdout.trim(), 'Valid: 3 resources, 1 policy.');
  });

  test('an audit policy is listed as such and never fails', () => {
    const s = project('audit');
    const r = s.run(['validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^audit: manifests\/files\.yaml:1:1: File\/default\/open: policy no-world-writable \(audit, not enforced\): open must not be world-writable/m,
    );
    assert.match(r.stderr, /^1 audit finding \(dry-run: recorded, not enforced\)$/m);
    assert.doesNotMatch(r.stderr, /^(error|warning):/m);
  });

  test('a bad CEL expression is a clear diagnostic at spec.rule, with the caret', () => {
    const s = project('deny', 'object.spec.mode in [');
    const r = s.run(['validate']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: manifests\/policies\/world\.yaml:6:9: Policy\/default\/no-world-writable: spec\.rule: invalid CEL rule: Unexpected token: EOF$/m,
    );
    assert.match(r.stderr, /\|\s*object\.spec\.mode in \[\n\s+\^/);
    assert.match(r.stderr, /hint: a rule is a CEL expression that is true when the resource complies/);
    // A rule that is not a boolean, and a typo in a variable, too.
    const typed = project('deny', 'size(object.spec.path)');
    assert.match(
      typed.run(['validate']).stderr,
      /spec\.rule: the rule is of type int; it must be a boolean \(true = compliant\)/,
    );
    const unknown = project('deny', 'objet.spec.mode == 1');
    assert.match(unknown.run(['validate']).stderr, /spec\.rule: invalid CEL rule: Unknown variable: objet/);
  });
});

describe('policies: plan and apply', () => {
  test('a deny policy refuses the plan: nothing is applied, the violation is recorded and audited', () => {
    const s = project('deny');
    const plan = s.run(['plan']);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /denied by policy no-world-writable: open must not be world-writable/);
    const apply = s.run(['apply', '--yes']);
    assert.equal(apply.code, 1);
    assert.match(apply.stderr, /denied by policy no-world-writable/);
    assert.match(apply.stderr, /nothing was applied/);
    for (const f of ['open', 'closed', 'scratch'])
      assert.equal(existsSync(s.path('out', f)), false, `${f} was not written`);

    const listing = violations(s);
    assert.deepEqual(
      listing.violations.map((v) => [v.policy, v.resourceId, v.action, v.phase, v.blocked]),
      [['no-world-writable', 'File/default/open', 'deny', 'admission', true]],
    );
    assert.ok(listing.violations[0].revisionId, 'the violation names the revision');
    const audit = json<Array<{ action: string; resourceId?: string; result: string }>>(
      s.run(['audit', '--json']),
    );
    assert.deepEqual(
      audit.map((e) => [e.action, e.resourceId, e.result]),
      [
        ['policy.deny', 'File/default/open', 'blocked'],
        ['apply.refuse', 'File/default/open', 'refused'],
      ],
    );
    assert.equal(s.run(['audit', 'verify']).code, 0);
  });

  test('the same policy in audit mode lets the plan through and counts the violation', () => {
    const s = project('audit');
    const plan = s.run(['plan']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stderr,
      /^audit: .*File\/default\/open: policy no-world-writable \(audit, not enforced\)/m,
    );
    const apply = s.run(['apply', '--yes']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal((statSync(s.path('out', 'open')).mode & 0o777).toString(8), '777');

    const listing = violations(s);
    assert.deepEqual(
      listing.policies.map((p) => [p.name, p.action, p.runtime, p.violations]),
      [['no-world-writable', 'audit', false, 1]],
    );
    assert.deepEqual(listing.totals, [
      {
        policy: 'no-world-writable',
        action: 'audit',
        count: 1,
        blocked: 0,
        last: listing.violations[0].time,
      },
    ]);
    assert.deepEqual(
      listing.violations.map((v) => [v.resourceId, v.action, v.blocked, v.message]),
      [['File/default/open', 'audit', false, 'open must not be world-writable (mode 0777)']],
    );
    const audit = json<Array<{ action: string }>>(s.run(['audit', '--json']));
    assert.ok(
      !audit.some((e) => e.action === 'policy.deny'),
      'an audit-mode violation blocks nothing, so nothing is audited as blocked',
    );

    // Each apply judges its revision once more; the human view lists the policy and the violations.
    assert.equal(s.run(['apply', '--yes']).code, 0);
    assert.equal(violations(s).totals[0].count, 2);
    const text = s.run(['policies']);
    assert.match(text.stdout, /^no-world-writable\s+audit\s+desired state\s+kinds=File tier=critical\s+2\s/m);
    assert.match(text.stdout, /Recent violations:/);
  });

  test('a warn policy prints its warning on plan and apply, and applies', () => {
    const s = project('warn');
    const apply = s.run(['apply', '--yes']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(
      apply.stderr,
      /^warning: .*policy no-world-writable \(warn\): open must not be world-writable/m,
    );
    assert.equal(violations(s).violations[0].action, 'warn');
  });
});

describe('policies: tools', () => {
  test('`setpoint policy test` runs the starter library green, and fails a mismatch with exit 1', () => {
    const s = sandbox('setpoint-policy-');
    const green = s.run(['policy', 'test', join(ROOT, 'examples', 'policies')]);
    assert.equal(green.code, 0, green.stdout + green.stderr);
    assert.match(green.stdout, /✓ a file chmod-ed to 0777 by hand is caught, whatever was declared/);
    assert.match(green.stdout, /^Tests: \d+ passed, 0 failed \(7 files\)\.$/m);

    s.write({
      'p/world.yaml': policy('deny'),
      'p/world.test.yaml': `policy: no-world-writable
cases:
  - name: a critical 0777 file
    object: { kind: File, metadata: { name: f, labels: { tier: critical } }, spec: { path: /f, mode: "0777" } }
    expect: violation
  - name: claims a non-critical 0777 file is caught
    object: { kind: File, metadata: { name: f }, spec: { path: /f, mode: "0777" } }
    expect: violation
`,
    });
    const red = s.run(['policy', 'test', 'p']);
    assert.equal(red.code, 1);
    assert.match(red.stdout, /✓ a critical 0777 file/);
    assert.match(red.stdout, /✗ claims a non-critical 0777 file is caught\n\s+expected violation, got pass/);
    assert.match(red.stdout, /^Tests: 1 passed, 1 failed \(1 file\)\.$/m);
    const data = json<{ ok: boolean; passed: number; failed: number }>(
      s.run(['policy', 'test', 'p', '--json']),
    );
    assert.deepEqual([data.ok, data.passed, data.failed], [false, 1, 1]);
  });

  test('`setpoint schema Policy` gives its JSON Schema; Policy is among the kinds', () => {
    const s = sandbox('setpoint-policy-');
    const schema = json<{
      description: string;
      properties: {
        kind: { const: string };
        spec: { properties: Record<string, unknown>; required: string[] };
      };
    }>(s.run(['schema', 'Policy']));
    assert.equal(schema.properties.kind.const, 'Policy');
    assert.deepEqual(Object.keys(schema.properties.spec.properties).sort(), [
      'action',
      'description',
      'match',
      'message',
      'rule',
    ]);
    assert.deepEqual(schema.properties.spec.required, ['rule']);
    assert.match(s.run(['schema', '--list']).stdout, /^Policy\s+A rule \(CEL\) over resources/m);
  });
});
