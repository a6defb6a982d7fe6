/** Alert identity (fingerprints) and silence matchers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fingerprint, formatMatcher, matchesAll, parseMatcher } from './labels.js';

describe('fingerprint', () => {
  it('is the same for the same labels in any order, and differs when any label differs', () => {
    const a = fingerprint({ alertname: 'DriftDetected', owner: 'team-web', resource: 'File/web/motd' });
    assert.equal(
      a,
      fingerprint({ resource: 'File/web/motd', owner: 'team-web', alertname: 'DriftDetected' }),
    );
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.notEqual(
      a,
      fingerprint({ alertname: 'DriftDetected', owner: 'team-web', resource: 'File/web/motd2' }),
    );
    assert.notEqual(
      a,
      fingerprint({ alertname: 'ResourceConflict', owner: 'team-web', resource: 'File/web/motd' }),
    );
  });

  it('does not confuse a value containing separators with two labels', () => {
    assert.notEqual(fingerprint({ a: 'x,b=y' }), fingerprint({ a: 'x', b: 'y' }));
  });
});

describe('matchers', () => {
  const labels = { alertname: 'DriftDetected', owner: 'team-web', resource: 'File/web/motd' };

  it('parse the four operators, with quoted values', () => {
    assert.deepEqual(parseMatcher('owner=team-web'), { name: 'owner', op: '=', value: 'team-web' });
    assert.deepEqual(parseMatcher('alertname != ApprovalPending'), {
      name: 'alertname',
      op: '!=',
      value: 'ApprovalPending',
    });
    assert.deepEqual(parseMatcher('resource=~"File/web/.*"'), {
      name: 'resource',
      op: '=~',
      value: 'File/web/.*',
    });
    assert.deepEqual(parseMatcher("owner!~'team-(db|ops)'"), {
      name: 'owner',
      op: '!~',
      value: 'team-(db|ops)',
    });
  });

  it('refuse what is not a matcher, or a broken regular expression', () => {
    assert.throws(() => parseMatcher('owner'), /not a matcher/);
    assert.throws(() => parseMatcher('=x'), /not a matcher/);
    assert.throws(() => parseMatcher('resource=~"("'), /not a regular expression/);
  });

  it('match all of them, regexes anchored, a missing label as empty', () => {
    assert.equal(matchesAll([parseMatcher('owner=team-web')], labels), true);
    assert.equal(
      matchesAll([parseMatcher('owner=team-web'), parseMatcher('alertname!=DriftDetected')], labels),
      false,
    );
    assert.equal(matchesAll([parseMatcher('resource=~File/web/.*')], labels), true);
    assert.equal(
      matchesAll([parseMatcher('resource=~web')], labels),
      false,
      'anchored: a substring is not a match',
    );
    assert.equal(matchesAll([parseMatcher('slo=')], labels), true, 'missing label = empty string');
    assert.equal(matchesAll([parseMatcher('owner!~team-(db|ops)')], labels), true);
  });

  it('print back to their input form', () => {
    assert.equal(formatMatcher(parseMatcher('owner=team-web')), 'owner=team-web');
    assert.equal(formatMatcher(parseMatcher('comment="two words"')), 'comment="two words"');
  });
});
