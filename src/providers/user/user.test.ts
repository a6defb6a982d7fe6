/**
 * User against the real shadow tools of this host (as root): the shared
 * conformance suite with an account named for this test process, then what
 * only User does — a password from a secret that never shows in a diff, a
 * home folder kept on removal unless `force`, and refusal of plain text.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createSandbox, Harness, runConformance, type Sandbox } from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import { userProvider, type UserActual, type UserDesired, type UserSpec } from './index.js';

const NAME = `spu${process.pid}`;
const UID = 64000 + (process.pid % 1000);
const asRoot = process.getuid?.() === 0 ? false : 'needs root (useradd)';
const HASH =
  '$6$saltsalt$Lr1YMtMIH5wu8lG0Q4z5aOtaXA7CmgwQTxy5A7Bv9bjVPyN6n4vBBtWaGqDe7vxwsE0nW0Q7p5/D1xp/FY0Tn.';

function sh(...argv: string[]): void {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}
const exists = (db: string, name: string) => spawnSync('getent', [db, name]).status === 0;
function cleanUp(): void {
  for (const u of [NAME, `${NAME}b`]) {
    if (exists('passwd', u)) sh('userdel', u);
    rmSync(`/home/${u}`, { recursive: true, force: true });
    if (exists('group', u)) sh('groupdel', u);
  }
}

runConformance({
  provider: userProvider,
  validSpec: () => ({
    name: NAME,
    uid: UID,
    shell: '/bin/bash',
    groups: ['users'],
    comment: 'setpoint test',
  }),
  createFields: ['spec.ensure'],
  reset: () => {
    if (!asRoot) cleanUp();
  },
  drifts: [
    {
      name: 'shell changed by hand',
      breakState: () => sh('usermod', '-s', '/bin/sh', NAME),
      fields: ['spec.shell'],
    },
    {
      name: 'removed from a group by hand',
      breakState: () => sh('gpasswd', '-d', NAME, 'users'),
      fields: ['spec.groups'],
    },
    { name: 'user deleted by hand', breakState: () => sh('userdel', NAME), fields: ['spec.ensure'] },
  ],
  badSpecs: [
    { name: 'a name with a colon', spec: () => ({ name: 'a:b' }), field: 'spec.name' },
    { name: 'a relative home', spec: () => ({ home: 'home/x' }), field: 'spec.home' },
    { name: 'a plain-text password', spec: () => ({ password: 'hunter2' }), field: 'spec.password' },
    { name: 'a comment with a colon', spec: () => ({ comment: 'a:b' }), field: 'spec.comment' },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, uid: UID + 1 }),
    // Another account takes the uid first: usermod refuses, naming it.
    breakApply: () => {
      sh('useradd', '-M', '-u', String(UID + 1), `${NAME}b`);
      return () => {
        sh('userdel', `${NAME}b`);
      };
    },
    field: 'spec.uid',
  },
  harness: { env: { SETPOINT_TEST_HASH: HASH } },
  skip: asRoot
    ? {
        create: asRoot,
        'no-op': asRoot,
        delete: asRoot,
        drift: asRoot,
        repair: asRoot,
        'failed apply': asRoot,
      }
    : {},
});

async function withUser(
  body: (h: Harness<UserSpec, UserActual, UserDesired>, sb: Sandbox) => Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const sb = createSandbox();
  cleanUp();
  try {
    await body(new Harness(userProvider, sb, { env }), sb);
  } finally {
    sb.dispose();
    cleanUp();
  }
}

describe('User password', { skip: asRoot }, () => {
  it('sets the hash from a secret, shows a change only as sensitive, and repairs a hand change', () =>
    withUser(
      async (h) => {
        const spec = { name: NAME, password: { secretRef: { env: 'HASH' } } };
        const r = await h.load(spec);
        const created = h.diff(r, undefined);
        assert.deepEqual(created, [
          { path: 'spec.ensure', old: 'absent', new: 'present' },
          { path: 'spec.password', sensitive: true },
        ]);
        await h.converge(spec);
        const shadow = spawnSync('getent', ['shadow', NAME], { encoding: 'utf8' }).stdout;
        assert.equal(shadow.split(':')[1], HASH);
        sh('usermod', '-p', '!locked', NAME);
        const fresh = await h.load(spec);
        const drift = h.diff(fresh, await h.observe(fresh));
        assert.deepEqual(drift, [{ path: 'spec.password', sensitive: true }]);
        assert.doesNotMatch(JSON.stringify(drift), /\$6\$/);
        const actual = await h.apply(fresh, await h.observe(fresh));
        assert.doesNotMatch(JSON.stringify(actual), /\$6\$/, 'the actual state never holds the hash');
        assert.doesNotMatch(
          JSON.stringify(userProvider.display!(fresh.desired, actual)),
          /\$6\$|passwordInSync/,
        );
        assert.deepEqual(h.diff(fresh, await h.observe(fresh)), []);
      },
      { HASH },
    ));

  it('refuses a secret that is plain text, naming spec.password.secretRef', () =>
    withUser(
      async (h) => {
        await assert.rejects(
          h.load({ name: NAME, password: { secretRef: { env: 'PW' } } }),
          (err: unknown) => {
            assert.ok(err instanceof ProviderError);
            assert.equal(err.field, 'spec.password.secretRef');
            assert.doesNotMatch(err.message, /hunter2/);
            return true;
          },
        );
      },
      { PW: 'hunter2' },
    ));
});

describe('User removal', { skip: asRoot }, () => {
  it('keeps the home folder without force, and removes it with force: true', () =>
    withUser(async (h) => {
      const kept = await h.converge({ name: NAME });
      assert.ok(existsSync(`/home/${NAME}`));
      await h.destroy(kept.r, kept.actual);
      assert.equal(await h.observe(kept.r), undefined);
      assert.ok(existsSync(`/home/${NAME}`), 'the home stays');
      rmSync(`/home/${NAME}`, { recursive: true, force: true });
      const forced = await h.converge({ name: NAME, force: true });
      assert.equal(userProvider.isDestructive!(forced.r.desired, forced.actual), true);
      await h.destroy(forced.r, forced.actual);
      assert.ok(!existsSync(`/home/${NAME}`), 'force removes the home');
    }));
});
