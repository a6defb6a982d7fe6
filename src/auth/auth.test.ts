import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateToken,
  hashToken,
  inScope,
  matchToken,
  namespaceOf,
  roleAllows,
  ROLES,
  TOKEN_PREFIX,
} from './index.js';

describe('roles', () => {
  it('rank viewer < operator < approver < admin', () => {
    assert.deepEqual(ROLES, ['viewer', 'operator', 'approver', 'admin']);
    assert.equal(roleAllows('admin', 'approver'), true);
    assert.equal(roleAllows('approver', 'approver'), true);
    assert.equal(roleAllows('operator', 'approver'), false);
    assert.equal(roleAllows('viewer', 'operator'), false);
  });

  it('scope: no namespaces means every namespace', () => {
    assert.equal(inScope({ namespaces: [] }, 'db'), true);
    assert.equal(inScope({ namespaces: ['web'] }, 'db'), false);
    assert.equal(inScope({ namespaces: ['web', 'db'] }, 'db'), true);
    assert.equal(namespaceOf('File/web/motd'), 'web');
    assert.equal(namespaceOf('File/motd'), undefined);
  });
});

describe('tokens', () => {
  it('are 32 random bytes after a prefix, hashed with sha256, matched against every entry', () => {
    const a = generateToken();
    const b = generateToken();
    assert.notEqual(a, b);
    assert.ok(a.startsWith(TOKEN_PREFIX));
    assert.equal(Buffer.from(a.slice(TOKEN_PREFIX.length), 'base64url').length, 32);
    assert.match(hashToken(a), /^[0-9a-f]{64}$/);
    const entries = [
      { name: 'one', hash: hashToken(a) },
      { name: 'two', hash: hashToken(b) },
    ];
    assert.equal(matchToken(b, entries)?.name, 'two');
    assert.equal(matchToken(a, entries)?.name, 'one');
    assert.equal(matchToken(a + 'x', entries), undefined);
    assert.equal(matchToken('', entries), undefined);
    assert.equal(matchToken(a, [{ name: 'broken', hash: 'zz' }]), undefined);
  });
});
