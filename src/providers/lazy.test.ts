/**
 * The lazy registry of built-in providers: it knows every built-in kind,
 * loads only those asked for (each once, even when asked twice at once),
 * gives the same providers as the full registry, and its fingerprint does
 * not move as it loads (the manifest cache key is taken once, at open).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderRegistry, type ProviderLoader } from '../provider/registry.js';
import type { AnyProvider } from '../provider/types.js';
import { builtinProviders, defaultRegistry } from './index.js';
import { builtinLoader, lazyRegistry } from './lazy.js';

describe('lazy provider registry', () => {
  it('knows every built-in kind and loads the same providers as the full registry', async () => {
    assert.deepEqual([...builtinLoader.kinds].sort(), Object.keys(builtinProviders).sort());
    const full = defaultRegistry();
    const lazy = lazyRegistry();
    assert.deepEqual(lazy.kinds(), []);
    await lazy.load(builtinLoader.kinds);
    assert.deepEqual(lazy.kinds(), full.kinds());
    for (const kind of full.kinds()) assert.equal(lazy.get(kind), full.get(kind), kind);
  });

  it('loads only the kinds asked for, leaves unknown kinds to validation, and keeps its fingerprint', async () => {
    const lazy = lazyRegistry();
    const before = lazy.fingerprint();
    await lazy.load(['File', 'File', 'NoSuchKind']);
    assert.deepEqual(lazy.kinds(), ['File']);
    assert.equal(lazy.get('PostgresRole'), undefined);
    assert.equal(lazy.get('NoSuchKind'), undefined);
    assert.equal(lazy.fingerprint(), before);
    assert.match(before, /(^|,)File@lazy(,|$)/);
  });

  it('loads a kind once when asked concurrently, and again after a failed load', async () => {
    let calls = 0;
    let fail = true;
    const provider = { kind: 'Thing', version: '1' } as unknown as AnyProvider;
    const loader: ProviderLoader = {
      kinds: ['Thing'],
      load: async () => {
        calls++;
        await Promise.resolve();
        if (fail) throw new Error('cannot load Thing');
        return provider;
      },
    };
    const registry = new ProviderRegistry([], loader);
    await assert.rejects(Promise.all([registry.load(['Thing']), registry.load(['Thing'])]), /cannot load/);
    assert.equal(calls, 1);
    fail = false;
    await Promise.all([registry.load(['Thing']), registry.load(['Thing'])]);
    assert.equal(calls, 2);
    assert.equal(registry.get('Thing'), provider);
  });

  it('is a no-op for a registry without a loader', async () => {
    const full = defaultRegistry();
    const kinds = full.kinds();
    await full.load(['File', 'NoSuchKind']);
    assert.deepEqual(full.kinds(), kinds);
  });
});
