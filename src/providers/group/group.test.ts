/**
 * Group against the real shadow tools of this host (as root): the shared
 * conformance suite with a group named for this test process, removed
 * before and after each case.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { createSandbox, Harness, runConformance } from '../../provider/conformance.js';
import { groupProvider } from './index.js';

const NAME = `spg${process.pid}`;
const GID = 63000 + (process.pid % 1000);
const asRoot = process.getuid?.() === 0 ? false : 'needs root (groupadd)';

function sh(...argv: string[]): void {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}
const groupExists = (name: string) => spawnSync('getent', ['group', name]).status === 0;
const removeGroup = (name: string) => {
  if (groupExists(name)) sh('groupdel', name);
};

runConformance({
  provider: groupProvider,
  validSpec: () => ({ name: NAME, gid: GID }),
  createFields: ['spec.ensure'],
  reset: () => {
    if (asRoot) return;
    removeGroup(NAME);
    removeGroup(`${NAME}b`);
  },
  drifts: [
    {
      name: 'gid changed by hand',
      breakState: () => sh('groupmod', '-g', String(GID + 1), NAME),
      fields: ['spec.gid'],
    },
    { name: 'group deleted by hand', breakState: () => sh('groupdel', NAME), fields: ['spec.ensure'] },
  ],
  badSpecs: [
    { name: 'an upper-case name', spec: () => ({ name: 'Admins' }), field: 'spec.name' },
    { name: 'a negative gid', spec: () => ({ gid: -1 }), field: 'spec.gid' },
    { name: 'an unknown field', spec: () => ({ members: ['a'] }), field: 'spec.members' },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, gid: GID + 2 }),
    // Another group takes the gid first: groupmod refuses, naming it.
    breakApply: () => {
      sh('groupadd', '-g', String(GID + 2), `${NAME}b`);
      return () => removeGroup(`${NAME}b`);
    },
    field: 'spec.gid',
  },
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

describe('Group', { skip: asRoot }, () => {
  it('takes its name from metadata.name when spec.name is not given', async () => {
    const sb = createSandbox();
    try {
      const h = new Harness(groupProvider, sb);
      const r = await h.load({ system: true });
      assert.equal(r.desired.name, 'conformance');
    } finally {
      sb.dispose();
    }
  });
});
