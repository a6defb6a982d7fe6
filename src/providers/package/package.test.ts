/**
 * Package against the real apt/dpkg of this host (as root): the shared
 * conformance suite with the small `hello` package (and `tree`), then what only Package
 * does — one transaction for a run's packages, a clear error when dpkg's
 * lock is busy or a package does not exist, holds, and dpkg-query parsing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createContext } from '../../provider/context.js';
import { createSandbox, runConformance } from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import { RunScope } from '../../provider/run.js';
import { declaredDigest, type Resource } from '../../manifest/index.js';
import { SecretResolver } from '../../secrets/index.js';
import { packageProvider, parseDpkgQuery, type PackageActual, type PackageDesired } from './index.js';
import {
  canManagePackages,
  holdByHand,
  holdDpkgLock,
  installByHand,
  purgePackages,
  quietManDb,
} from './testkit.js';

const skipAll = canManagePackages ? false : 'needs root and apt-get (Debian/Ubuntu)';
quietManDb();

runConformance({
  provider: packageProvider,
  validSpec: () => ({ name: 'hello' }),
  createFields: ['spec.ensure'],
  reset: () => {
    if (canManagePackages) purgePackages('hello');
  },
  drifts: [
    { name: 'package removed by hand', breakState: () => purgePackages('hello'), fields: ['spec.ensure'] },
    {
      name: 'package held by hand',
      breakState: () => holdByHand('hello'),
      fields: ['spec.ensure'],
    },
  ],
  badSpecs: [
    { name: 'a name with a space', spec: () => ({ name: 'two words' }), field: 'spec.name' },
    { name: 'an unknown ensure', spec: () => ({ name: 'hello', ensure: 'installed' }), field: 'spec.ensure' },
    {
      name: 'a version with a space',
      spec: () => ({ name: 'hello', version: '1 2' }),
      field: 'spec.version',
    },
    { name: 'an unknown field', spec: () => ({ name: 'hello', pin: true }), field: 'spec.pin' },
  ],
  failure: {
    start: 'absent',
    update: (raw) => ({ ...raw, lockTimeout: '1s' }),
    breakApply: () => holdDpkgLock(),
    field: 'spec.lockTimeout',
  },
  skip: skipAll
    ? {
        create: skipAll,
        'no-op': skipAll,
        delete: skipAll,
        drift: skipAll,
        repair: skipAll,
        'failed apply': skipAll,
      }
    : {},
});

/** Loads specs as one engine run does: one RunScope shared by every context. */
async function loadRun(specs: Array<{ id: string; spec: unknown }>, scope: RunScope) {
  const secrets = new SecretResolver({ env: {} });
  const sb = createSandbox();
  const events: string[] = [];
  const loaded = [];
  for (const { id, spec } of specs) {
    const parsed = packageProvider.schema.parse(spec);
    const key = { kind: 'Package', namespace: 'default', name: id };
    const declared = {
      id: `Package/default/${id}`,
      metadata: { name: id, namespace: 'default', labels: {}, annotations: {} },
      spec: parsed,
      dependsOn: [],
      lifecycle: {},
    };
    const resource: Resource = {
      ...declared,
      key,
      origin: { file: `${sb.projectDir}/m.yaml`, line: 1, column: 1, index: 0 },
      digest: declaredDigest(declared),
    };
    const ctx = createContext({
      resource,
      sourceRoot: sb.projectDir,
      secrets,
      onEvent: (_id, _type, reason, message) => events.push(`${reason}: ${message}`),
      run: scope,
    });
    const desired = await packageProvider.resolve!(parsed, ctx);
    loaded.push({ id: declared.id, ctx, desired });
  }
  sb.dispose();
  return { loaded, events };
}

describe('Package in one run', { skip: skipAll }, () => {
  it('installs every package of the run in one apt transaction, then finds each installed', async () => {
    purgePackages('hello', 'tree');
    try {
      const scope = new RunScope();
      const { loaded, events } = await loadRun(
        [
          { id: 'hello', spec: {} },
          { id: 'tree', spec: { ensure: 'held' } },
        ],
        scope,
      );
      const actuals: Array<PackageActual | undefined> = [];
      for (const l of loaded) actuals.push(await packageProvider.observe(l.desired, l.ctx));
      assert.deepEqual(actuals, [undefined, undefined]);
      scope.announce(
        loaded.map((l, i) => ({
          id: l.id,
          kind: 'Package',
          op: 'create',
          desired: l.desired,
          actual: actuals[i],
          after: [],
        })),
      );
      const hello = await packageProvider.apply!(loaded[0].desired, undefined, loaded[0].ctx);
      assert.equal(hello.held, false);
      assert.deepEqual(
        events.filter((e) => e.startsWith('PackagesInstalled')),
        ['PackagesInstalled: 2 packages in one apt transaction: hello, tree'],
      );
      // tree was installed by that transaction: its own apply only holds it.
      const tree = await packageProvider.apply!(loaded[1].desired, undefined, loaded[1].ctx);
      assert.equal(tree.held, true);
      assert.equal(events.filter((e) => e.startsWith('PackagesInstalled')).length, 1);
      for (const l of loaded)
        assert.deepEqual(
          packageProvider.diff(l.desired, await packageProvider.observe(l.desired, l.ctx)),
          [],
        );
    } finally {
      purgePackages('hello', 'tree');
    }
  });

  it('reads a whole run from one dpkg query: a package removed after it stays as first seen until the next run', async () => {
    installByHand('hello');
    try {
      const scope = new RunScope();
      const { loaded } = await loadRun([{ id: 'hello', spec: {} }], scope);
      assert.ok(await packageProvider.observe(loaded[0].desired, loaded[0].ctx));
      purgePackages('hello');
      assert.ok(
        await packageProvider.observe(loaded[0].desired, loaded[0].ctx),
        'the run reads its snapshot',
      );
      const next = await loadRun([{ id: 'hello', spec: {} }], new RunScope());
      assert.equal(await packageProvider.observe(next.loaded[0].desired, next.loaded[0].ctx), undefined);
    } finally {
      purgePackages('hello');
    }
  });
});

describe('Package errors', { skip: skipAll }, () => {
  it('names spec.name when no apt source has the package (after refreshing the lists once)', async () => {
    const { loaded } = await loadRun([{ id: 'setpoint-no-such-package', spec: {} }], new RunScope());
    const [l] = loaded;
    await assert.rejects(packageProvider.apply!(l.desired, undefined, l.ctx), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.code, 'SETPOINT_PACKAGE_NOT_FOUND');
      assert.equal(err.field, 'spec.name');
      assert.match(err.message, /no package setpoint-no-such-package in the apt sources/);
      return true;
    });
  });

  it('names the lock and its holder when another package manager is busy: to install, to hold', async () => {
    installByHand('hello');
    const release = holdDpkgLock();
    if (!release) return purgePackages('hello');
    try {
      const { loaded } = await loadRun(
        [
          { id: 'tree', spec: { lockTimeout: '1s' } },
          // Installed already: only its hold waits for the lock (dpkg, not apt, sets it).
          { id: 'hello', spec: { ensure: 'held', lockTimeout: '1s' } },
        ],
        new RunScope(),
      );
      for (const l of loaded)
        await assert.rejects(
          packageProvider.apply!(l.desired, await packageProvider.observe(l.desired, l.ctx), l.ctx),
          (err: unknown) => {
            assert.ok(err instanceof ProviderError, String(err));
            assert.equal(err.code, 'SETPOINT_PACKAGE_LOCKED', err.message);
            assert.match(err.message, /\/var\/lib\/dpkg\/lock-frontend is held by process \d+/);
            return true;
          },
          l.id,
        );
    } finally {
      release();
      purgePackages('hello', 'tree');
    }
  });

  it('refuses a metadata.name that is not a package name, naming spec.name', async () => {
    await assert.rejects(loadRun([{ id: 'Not_A_Package!', spec: {} }], new RunScope()));
  });
});

describe('parseDpkgQuery', () => {
  it('keeps installed packages, by name and name:arch, and sees holds', () => {
    const out = parseDpkgQuery(
      [
        'hello\tamd64\t2.10-3\tinstall ok installed',
        'sl\tamd64\t5.02-1+b1\thold ok installed',
        'gone\tamd64\t1.0\tdeinstall ok config-files',
        '',
      ].join('\n'),
    );
    assert.deepEqual(out.get('hello'), { name: 'hello', version: '2.10-3', held: false });
    assert.deepEqual(out.get('sl:amd64'), { name: 'sl', version: '5.02-1+b1', held: true });
    assert.equal(out.has('gone'), false);
  });
});

describe('Package diff', () => {
  const desired = (over: Partial<PackageDesired> = {}): PackageDesired => ({
    name: 'nginx',
    ensure: 'present',
    purge: false,
    updateCache: false,
    lockTimeoutMs: 60_000,
    ...over,
  });
  const diff = packageProvider.diff.bind(packageProvider);

  it('accepts any installed version when none is declared', () => {
    assert.deepEqual(diff(desired(), { version: '1.0', held: false }), []);
  });

  it('asks for an exact version', () => {
    assert.deepEqual(diff(desired({ version: '2.0' }), { version: '1.0', held: false }), [
      { path: 'spec.version', old: '1.0', new: '2.0' },
    ]);
  });

  it('follows the candidate for latest', () => {
    assert.deepEqual(
      diff(desired({ version: 'latest' }), { version: '1.0', held: false, candidate: '1.1' }),
      [{ path: 'spec.version', old: '1.0', new: '1.1' }],
    );
    assert.deepEqual(
      diff(desired({ version: 'latest' }), { version: '1.1', held: false, candidate: '1.1' }),
      [],
    );
  });

  it('holds for held and releases a hold for present', () => {
    assert.deepEqual(diff(desired({ ensure: 'held' }), { version: '1.0', held: false }), [
      { path: 'spec.ensure', old: 'present', new: 'held' },
    ]);
    assert.deepEqual(diff(desired(), { version: '1.0', held: true }), [
      { path: 'spec.ensure', old: 'held', new: 'present' },
    ]);
  });
});
