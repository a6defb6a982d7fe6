import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesAll, parseMatcher } from '../telemetry/alerts/labels.js';
import { linearRegex, linearTest, RegexSyntaxError, regexProblem } from './linear-regex.js';

const evil = 'a'.repeat(40) + '!';

describe('linearRegex (RE2)', () => {
  // JavaScript's engine needs minutes for these; a regression fails on the timeout
  // (or, since a regex cannot be interrupted, by the whole file running long).
  it('matches catastrophic patterns in linear time', { timeout: 20_000 }, () => {
    for (const p of ['^(a+)+$', '^(a|a)+$', '^(a|aa)+$', '(x+x+)+y'])
      assert.equal(linearTest(p, evil), false, p);
    assert.equal(linearTest('^(a+)+$', 'aaaa'), true);
  });

  it('supports the usual syntax and flags', () => {
    assert.equal(linearTest('^[A-Z][a-z]+$', 'File'), true);
    assert.equal(linearTest('^file$', 'FILE', 'i'), true);
    assert.equal(linearTest('^b$', 'a\nb', 'm'), true);
    assert.equal(linearTest('a.b', 'a\nb', 's'), true);
    assert.equal(linearTest('(?P<x>a)|(?<y>b)', 'b'), true);
    assert.equal(linearTest('\\d{3}', 'x123'), true);
    assert.equal(linearTest('^\\x{e9}$', 'é'), true);
    assert.equal(linearTest('^\\p{L}+$', 'Grüße'), true);
  });

  it('refuses backreferences and lookaround with a syntax error naming the pattern', () => {
    assert.throws(
      () => linearRegex('(a)\\1'),
      (e: unknown) => {
        assert.ok(e instanceof RegexSyntaxError);
        assert.equal(e.pattern, '(a)\\1');
        assert.match(e.message, /invalid regular expression "\(a\)\\\\1": invalid escape sequence/);
        return true;
      },
    );
    assert.match(regexProblem('(?!x)') ?? '', /invalid or unsupported Perl syntax/);
    assert.match(regexProblem('(') ?? '', /missing closing \)/);
    assert.equal(regexProblem('^ok$'), undefined);
  });

  it('handles inputs of tens of megabytes', { timeout: 60_000 }, () => {
    const big = 'a'.repeat(20_000_000);
    assert.equal(linearTest('^(a+)+$', big + '!'), false);
    assert.equal(linearTest('a$', big), true);
  });

  it('keeps working past the cache bound (evicted patterns are compiled again)', () => {
    const first = linearRegex('^p0$');
    for (let i = 1; i < 700; i++) assert.equal(linearTest(`^p${i}$`, `p${i}`), true);
    assert.equal(first.test('p0'), true);
    assert.equal(first.test('p1'), false);
  });
});

describe('silence matchers use it', () => {
  it('a catastrophic =~ pattern does not hang alert matching', { timeout: 20_000 }, () => {
    const m = parseMatcher('resource=~"(a+)+"');
    assert.equal(matchesAll([m], { resource: evil }), false);
    assert.equal(matchesAll([m], { resource: 'aaa' }), true);
  });

  it('a pattern RE2 cannot run is refused when the matcher is parsed', () => {
    assert.throws(() => parseMatcher('resource=~"(?=File)"'), /not a regular expression/);
  });

  it('a stored pattern RE2 refuses matches nothing (the silence silences nothing)', () => {
    const stored = { name: 'resource', op: '=~' as const, value: '(?=F)File' };
    assert.equal(matchesAll([stored], { resource: 'File' }), false);
    assert.equal(matchesAll([{ ...stored, op: '!~' }], { resource: 'File' }), false);
  });
});
