/**
 * Symlink: the shared conformance suite, then what only Symlink does — a
 * regular file at the path is replaced only with `force: true`, a folder never.
 */

import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createSandbox,
  Harness,
  makeUnwritable,
  runConformance,
  type Sandbox,
} from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import { tempFilesOf } from '../fs/index.js';
import { symlinkProvider, type SymlinkActual, type SymlinkSpec } from './index.js';

runConformance({
  provider: symlinkProvider,
  validSpec: (sb) => ({ path: join(sb.targetDir, 'current'), target: 'releases/v1' }),
  createFields: ['spec.target'],
  drifts: [
    {
      name: 'link pointed elsewhere by hand',
      breakState: (spec) => {
        rmSync(spec.path);
        symlinkSync('releases/v0', spec.path);
      },
      fields: ['spec.target'],
    },
    { name: 'link removed by hand', breakState: (spec) => rmSync(spec.path), fields: ['spec.target'] },
  ],
  badSpecs: [
    {
      name: 'an empty target',
      spec: (sb) => ({ path: join(sb.targetDir, 'l'), target: '' }),
      field: 'spec.target',
    },
    { name: 'no target', spec: (sb) => ({ path: join(sb.targetDir, 'l') }), field: 'spec.target' },
    { name: 'a relative path', spec: () => ({ path: 'current', target: '/opt/app' }), field: 'spec.path' },
    {
      name: 'force as a number',
      spec: (sb) => ({ path: join(sb.targetDir, 'l'), target: 'x', force: 1 }),
      field: 'spec.force',
    },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, target: 'releases/v2' }),
    breakApply: (spec) => makeUnwritable(dirname(spec.path)),
    field: 'spec.path',
    leftovers: (spec) => tempFilesOf(spec.path),
  },
});

async function withSymlink(
  body: (h: Harness<SymlinkSpec, SymlinkActual, SymlinkSpec>, sb: Sandbox) => Promise<void>,
): Promise<void> {
  const sb = createSandbox();
  try {
    await body(new Harness(symlinkProvider, sb), sb);
  } finally {
    sb.dispose();
  }
}

describe('Symlink over a regular file', () => {
  it('refuses to replace the file without force, naming spec.force', () =>
    withSymlink(async (h, sb) => {
      const path = join(sb.targetDir, 'current');
      writeFileSync(path, 'data');
      const r = await h.load({ path, target: '/opt/app' });
      const actual = await h.observe(r);
      assert.deepEqual(h.diff(r, actual), [
        { path: 'type', old: 'file', new: 'symlink', forcesReplace: true },
        { path: 'spec.target', old: undefined, new: '/opt/app' },
      ]);
      await assert.rejects(h.apply(r, actual), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.force');
        assert.match(err.hint ?? '', /force: true/);
        return true;
      });
      assert.equal(readFileSync(path, 'utf8'), 'data');
    }));

  it('replaces the file with force: true', () =>
    withSymlink(async (h, sb) => {
      const path = join(sb.targetDir, 'current');
      writeFileSync(path, 'data');
      await h.converge({ path, target: '/opt/app', force: true });
      assert.equal(readlinkSync(path), '/opt/app');
    }));

  it('never replaces a folder, even with force', () =>
    withSymlink(async (h, sb) => {
      const path = join(sb.targetDir, 'current');
      mkdirSync(path);
      const r = await h.load({ path, target: '/opt/app', force: true });
      await assert.rejects(
        h.apply(r, await h.observe(r)),
        (err: unknown) => err instanceof ProviderError && err.field === 'spec.path',
      );
      assert.ok(lstatSync(path).isDirectory(), 'the folder is still there');
    }));
});
