/** API tokens in the SQLite store (migration 4): one active token per name, revocation kept on record. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenRecord } from '../types.js';
import { SqliteStore } from './index.js';

const token = (name: string, hash: string): TokenRecord => ({
  name,
  role: 'viewer',
  namespaces: ['web'],
  hash,
  createdAt: '2026-01-01T00:00:00Z',
  createdBy: 'alice',
});

describe('SqliteStore tokens', () => {
  it('creates once per name, revokes, and allows the name again after revocation', async () => {
    const store = new SqliteStore(':memory:');
    try {
      assert.equal(await store.createToken(token('ci', 'a'.repeat(64))), true);
      assert.equal(
        await store.createToken(token('ci', 'b'.repeat(64))),
        false,
        'an active token of that name exists',
      );
      assert.equal((await store.listTokens())[0].hash, 'a'.repeat(64), 'the first one is kept');
      assert.equal(await store.revokeToken('ci', '2026-01-02T00:00:00Z', 'bob'), true);
      assert.equal(await store.revokeToken('ci', '2026-01-03T00:00:00Z', 'bob'), false, 'already revoked');
      assert.equal(await store.revokeToken('nobody', '2026-01-03T00:00:00Z', 'bob'), false);
      const [revoked] = await store.listTokens();
      assert.deepEqual(
        [revoked.revokedAt, revoked.revokedBy, revoked.namespaces],
        ['2026-01-02T00:00:00Z', 'bob', ['web']],
      );
      assert.equal(
        await store.createToken(token('ci', 'c'.repeat(64))),
        true,
        'a revoked name can be reused',
      );
      const [again] = await store.listTokens();
      assert.equal(again.hash, 'c'.repeat(64));
      assert.equal(again.revokedAt, undefined);
    } finally {
      await store.close();
    }
  });
});
