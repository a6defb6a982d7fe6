import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Diagnostics, type Resource } from '../manifest/index.js';
import { compileCel, isProblem, toCel } from './cel.js';
import { compilePolicy } from './compile.js';
import { POLICY_INVALID } from './errors.js';

const evil = 'a'.repeat(34) + '!';

function policy(rule: string): Resource {
  return {
    id: 'Policy/default/p',
    key: { kind: 'Policy', namespace: 'default', name: 'p' },
    metadata: { name: 'p', namespace: 'default', labels: {}, annotations: {} },
    spec: { rule, action: 'deny' },
    dependsOn: [],
    lifecycle: {},
    origin: { file: '/m/policy.yaml', line: 1, column: 1, index: 0 },
    digest: '',
  };
}

describe('matches (RE2, linear time)', () => {
  // With JavaScript's backtracking engine this takes ~100 s; the timeout makes a regression fail.
  it('a catastrophic pattern against a hostile string completes', { timeout: 20_000 }, () => {
    const p = compileCel("object.spec.content.matches('^(a+)+$')");
    assert.ok(!isProblem(p));
    assert.equal(p.run({ object: toCel({ spec: { content: evil } }) }), false);
    assert.equal(p.run({ object: toCel({ spec: { content: 'aaaa' } }) }), true);
  });

  it('also when the pattern is not a literal', { timeout: 20_000 }, () => {
    const p = compileCel('object.spec.content.matches(object.spec.pattern)');
    assert.ok(!isProblem(p));
    assert.equal(p.run({ object: toCel({ spec: { content: evil, pattern: '^(a|a)+$' } }) }), false);
  });

  it('keeps the usual semantics: unanchored search, classes, unicode, inline flags', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/etc/motd', '^/etc/', true],
      ['/var/etc/motd', '^/etc/', false],
      ['x-0644-y', '[0-7]{4}', true],
      ['café', 'é$', true],
      ['ABC', '(?i)abc', true],
      ['', '', true],
    ];
    for (const [input, pattern, expected] of cases) {
      const p = compileCel(`object.s.matches(${JSON.stringify(pattern)})`);
      assert.ok(!isProblem(p), pattern);
      assert.equal(p.run({ object: { s: input } }), expected, `${input} ~ ${pattern}`);
    }
  });

  it('a literal pattern RE2 cannot run is a compile problem naming the pattern', () => {
    const p = compileCel("object.s.matches('(a)\\\\1')");
    assert.ok(isProblem(p));
    assert.match(p.summary, /matches\("\(a\)\\\\1"\)/);
    assert.match(p.hint ?? '', /RE2 syntax/);
  });

  it('so the Policy is refused at spec.rule with the RE2 hint', () => {
    const diags = new Diagnostics();
    assert.equal(compilePolicy(policy("object.kind.matches('(?=File)')"), diags), undefined);
    const [d] = diags.errors;
    assert.equal(d.code, POLICY_INVALID);
    assert.equal(d.resourceId, 'Policy/default/p');
    assert.equal(d.field, 'spec.rule');
    assert.match(d.summary, /invalid CEL rule: matches\("\(\?=File\)"\)/);
    assert.match(d.hint ?? '', /lookaround/);
  });

  it('a non-literal pattern RE2 refuses fails the verdict closed, with the reason', () => {
    const compiled = compilePolicy(
      policy('object.spec.content.matches(object.spec.pattern)'),
      new Diagnostics(),
    );
    assert.ok(compiled);
    const v = compiled.evaluate({ object: toCel({ spec: { content: 'aa', pattern: '(a)\\1' } }) });
    assert.equal(v.compliant, false);
    assert.match((v as { error?: string }).error ?? '', /invalid regular expression "\(a\)\\\\1"/);
  });
});
