/** Policy documents through the manifest pipeline: validation, separation, compilation, admission verdicts. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { tempDir } from '../../test/helpers.js';
import {
  checkResourceSet,
  Diagnostics,
  FieldLocator,
  parseManifestText,
  validateOne,
  type KindCatalog,
} from '../manifest/index.js';
import { admitResources } from './admit.js';
import { withPolicyKind } from './catalog.js';

const kinds: KindCatalog = {
  kinds: () => ['File', 'Process'],
  specSchema: (k) =>
    k === 'File'
      ? z.strictObject({ path: z.string(), content: z.string().optional(), mode: z.string().optional() })
      : k === 'Process'
        ? z.strictObject({ command: z.string(), replicas: z.number().optional() })
        : undefined,
};

const dir = tempDir('setpoint-policy-');
let n = 0;

function load(text: string) {
  const file = join(dir, `m${n++}.yaml`);
  writeFileSync(file, text);
  const diags = new Diagnostics();
  const locator = new FieldLocator();
  const docs = parseManifestText(file, text, diags);
  const all = docs
    .map((d) => validateOne(d, { catalog: withPolicyKind(kinds), locator }, diags))
    .filter((r) => r !== undefined);
  const admitted = admitResources(checkResourceSet(all, locator, diags), diags, {
    locator,
    kinds: kinds.kinds(),
  });
  return { ...admitted, diags, file };
}

const worldWritable = (action: string) => `kind: Policy
metadata: { name: no-world-writable }
spec:
  match: { kinds: [File] }
  rule: "!(object.spec.mode in ['0666', '0777'])"
  message: "\${object.metadata.name} must not be world-writable (mode \${object.spec.mode})"
  action: ${action}
`;

const files = `kind: File
metadata: { name: open }
spec: { path: /tmp/open, content: x, mode: "0777" }
---
kind: File
metadata: { name: closed }
spec: { path: /tmp/closed, content: x, mode: "0644" }
---
kind: Process
metadata: { name: web }
spec: { command: node }
`;

describe('admitting policies', () => {
  it('set Policy documents apart from the managed resources', () => {
    const r = load(`${worldWritable('deny')}---\n${files}`);
    assert.deepEqual(
      r.resources.map((x) => x.id),
      ['File/default/open', 'File/default/closed', 'Process/default/web'],
    );
    assert.deepEqual(
      r.policies.policies.map((p) => p.name),
      ['no-world-writable'],
    );
  });

  it('a deny violation is an error at the resource, with the policy and the rendered message', () => {
    const r = load(`${worldWritable('deny')}---\n${files}`);
    assert.deepEqual(
      r.violations.map((v) => [v.policy, v.resourceId, v.action, v.phase]),
      [['no-world-writable', 'File/default/open', 'deny', 'admission']],
    );
    const [d] = r.diags.items;
    assert.equal(r.diags.items.length, 1);
    assert.equal(d.severity, 'error');
    assert.equal(d.code, 'SETPOINT_POLICY_DENIED');
    assert.equal(
      d.summary,
      'denied by policy no-world-writable: open must not be world-writable (mode 0777)',
    );
    assert.equal(d.resourceId, 'File/default/open');
    assert.deepEqual([d.file, d.line, d.column], [r.file, 9, 1]);
    assert.match(d.detail ?? '', /policy no-world-writable \(.*m\d+\.yaml:1\), action deny/);
  });

  it('a warn violation is a warning; an audit violation is no diagnostic but is returned', () => {
    const warn = load(`${worldWritable('warn')}---\n${files}`);
    assert.deepEqual(
      warn.diags.items.map((d) => [d.severity, d.code]),
      [['warning', 'SETPOINT_POLICY_WARNING']],
    );
    const audit = load(`${worldWritable('audit')}---\n${files}`);
    assert.equal(audit.diags.items.length, 0);
    assert.deepEqual(
      audit.violations.map((v) => [v.resourceId, v.action]),
      [['File/default/open', 'audit']],
    );
  });

  it('action defaults to deny', () => {
    const r = load(`${worldWritable('deny').replace('  action: deny\n', '')}---\n${files}`);
    assert.equal(r.violations[0].action, 'deny');
  });

  it('a CEL syntax error is a diagnostic at spec.rule with the caret message, and the policy is left out', () => {
    const r = load(
      `kind: Policy\nmetadata: { name: broken }\nspec:\n  rule: "object.spec.mode =="\n  message: m\n---\n${files}`,
    );
    const [d] = r.diags.errors;
    assert.equal(d.code, 'SETPOINT_POLICY_INVALID');
    assert.equal(d.summary, 'invalid CEL rule: Unexpected token: EOF');
    assert.deepEqual([d.line, d.column, d.field, d.resourceId], [4, 9, 'spec.rule', 'Policy/default/broken']);
    assert.match(d.detail ?? '', /\| object\.spec\.mode ==\n\s+\^/);
    assert.equal(r.policies.size, 0);
    assert.equal(r.violations.length, 0);
  });

  it('a rule that is not boolean, or reads an unknown variable, is a diagnostic', () => {
    const typed = load(`kind: Policy\nmetadata: { name: typed }\nspec:\n  rule: "size(object.spec.path)"\n`);
    assert.match(typed.diags.errors[0].summary, /the rule is of type int; it must be a boolean/);
    const unknown = load(
      `kind: Policy\nmetadata: { name: unknown }\nspec:\n  rule: "resource.spec.mode == '0644'"\n`,
    );
    assert.match(unknown.diags.errors[0].summary, /Unknown variable: resource/);
  });

  it('a bad ${} in the message is a diagnostic at spec.message', () => {
    const r = load(
      `kind: Policy\nmetadata: { name: m }\nspec:\n  rule: "true"\n  message: "bad \${object.}"\n`,
    );
    assert.equal(r.diags.errors[0].field, 'spec.message');
    assert.match(r.diags.errors[0].summary, /invalid message: \$\{object\.\}: Expected IDENTIFIER/);
  });

  it('unknown fields in a Policy are schema errors like in any resource', () => {
    const r = load(`kind: Policy\nmetadata: { name: typo }\nspec:\n  rule: "true"\n  acton: deny\n`);
    assert.equal(r.diags.errors[0].code, 'SETPOINT_MANIFEST_INVALID');
    assert.equal(r.diags.errors[0].field, 'spec.acton');
    assert.equal(r.diags.errors[0].hint, 'did you mean "action"?');
  });

  it('a match on an unknown kind is a warning with a suggestion', () => {
    const r = load(
      `kind: Policy\nmetadata: { name: k }\nspec:\n  match: { kinds: [Flie] }\n  rule: "true"\n`,
    );
    assert.deepEqual(
      r.diags.items.map((d) => [d.severity, d.field, d.hint]),
      [['warning', 'spec.match.kinds[0]', 'did you mean "File"?']],
    );
  });

  it('a rule that fails to evaluate counts as a violation (fail closed), with the error', () => {
    const r = load(
      `kind: Policy\nmetadata: { name: owner }\nspec:\n  match: { kinds: [Process] }\n  rule: "object.metadata.labels.owner != ''"\n  action: deny\n---\n${files}`,
    );
    assert.equal(r.violations.length, 1);
    assert.equal(r.violations[0].error, 'No such key: owner');
    assert.match(r.diags.errors[0].hint ?? '', /has\(/);
  });

  it('rules over actual are not judged at admission, but against an observed state', () => {
    const r = load(
      `kind: Policy\nmetadata: { name: rt }\nspec:\n  match: { kinds: [File] }\n  rule: "actual.mode != '0777'"\n  message: "\${object.spec.path} is \${actual.mode}"\n---\n${files}`,
    );
    assert.equal(r.violations.length, 0);
    assert.equal(r.policies.runtime.length, 1);
    const closed = r.resources.find((x) => x.id === 'File/default/closed')!;
    assert.deepEqual(
      r.policies.audit(closed, { mode: '0777' }).map((v) => [v.policy, v.phase, v.message]),
      [['rt', 'runtime', '/tmp/closed is 0777']],
    );
    assert.deepEqual(r.policies.audit(closed, { mode: '0644' }), []);
    assert.equal(r.policies.runtimeFor(r.resources.find((x) => x.id === 'Process/default/web')!), 0);
  });

  it('policy names are unique across namespaces; policies take no dependsOn or lifecycle, and nothing depends on them', () => {
    const r = load(
      `kind: Policy\nmetadata: { name: p }\nspec: { rule: "true" }\n---\nkind: Policy\nmetadata: { name: p, namespace: other }\nspec: { rule: "true" }\n---\n` +
        `kind: Policy\nmetadata: { name: q }\nspec: { rule: "true" }\nlifecycle: { prune: true }\n---\n` +
        `kind: File\nmetadata: { name: f }\nspec: { path: /tmp/f }\ndependsOn: [Policy/p]\n`,
    );
    assert.deepEqual(
      r.diags.errors.map((d) => [d.resourceId, d.summary]),
      [
        ['Policy/other/p', 'policy name p is used twice (Policy/default/p and Policy/other/p)'],
        ['Policy/default/q', 'a Policy is not a managed target: lifecycle does not apply to it'],
        ['File/default/f', 'depends on Policy/default/p, a Policy: policies are not managed targets'],
      ],
    );
  });
});
