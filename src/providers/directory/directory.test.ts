/**
 * Directory: the shared conformance suite, then what only Directory does —
 * a folder with contents is kept unless `force` says otherwise.
 */

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
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
import {
  directoryProvider,
  type DirectoryActual,
  type DirectoryDesired,
  type DirectorySpec,
} from './index.js';

runConformance({
  provider: directoryProvider,
  validSpec: (sb) => ({ path: join(sb.targetDir, 'data'), mode: '0750' }),
  createFields: ['spec.path', 'spec.mode'],
  drifts: [
    {
      name: 'mode changed by hand',
      breakState: (spec) => chmodSync(spec.path, 0o777),
      fields: ['spec.mode'],
    },
    {
      name: 'folder removed by hand',
      breakState: (spec) => rmdirSync(spec.path),
      fields: ['spec.path', 'spec.mode'],
    },
  ],
  badSpecs: [
    { name: 'a relative path', spec: () => ({ path: 'var/data' }), field: 'spec.path' },
    { name: 'a path with "//"', spec: (sb) => ({ path: `${sb.targetDir}//data` }), field: 'spec.path' },
    {
      name: 'a symbolic mode',
      spec: (sb) => ({ path: join(sb.targetDir, 'd'), mode: 'rwxr-x---' }),
      field: 'spec.mode',
    },
    {
      name: 'force as a string',
      spec: (sb) => ({ path: join(sb.targetDir, 'd'), force: 'yes' }),
      field: 'spec.force',
    },
    {
      name: 'an unknown ensure',
      spec: (sb) => ({ path: join(sb.targetDir, 'd'), ensure: 'latest' }),
      field: 'spec.ensure',
    },
  ],
  failure: {
    start: 'absent',
    breakApply: (spec) => makeUnwritable(dirname(spec.path)),
    field: 'spec.path',
  },
});

type DirectoryHarness = Harness<DirectorySpec, DirectoryActual, DirectoryDesired>;

async function withDirectory(body: (h: DirectoryHarness, sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = createSandbox();
  try {
    await body(new Harness(directoryProvider, sb), sb);
  } finally {
    sb.dispose();
  }
}

describe('Directory with contents', () => {
  it('is not removed without force, and is destructive to delete', () =>
    withDirectory(async (h, sb) => {
      const path = join(sb.targetDir, 'data');
      const { r, actual } = await h.converge({ path });
      writeFileSync(join(path, 'keep.db'), 'precious');
      assert.equal(directoryProvider.isDestructive!(r.desired, actual), true);
      await assert.rejects(h.destroy(r, actual), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.code, 'SETPOINT_APPLY_REFUSED');
        assert.equal(err.field, 'spec.force');
        assert.match(err.hint ?? '', /force: true/);
        return true;
      });
      assert.equal(readFileSync(join(path, 'keep.db'), 'utf8'), 'precious');
    }));

  it('is removed with everything in it when force is true', () =>
    withDirectory(async (h, sb) => {
      const path = join(sb.targetDir, 'data');
      const { r, actual } = await h.converge({ path, force: true });
      mkdirSync(join(path, 'nested'));
      writeFileSync(join(path, 'nested', 'file'), 'x');
      await h.destroy(r, actual);
      assert.equal(existsSync(path), false);
    }));

  it('an empty folder is removed without force, and is not destructive', () =>
    withDirectory(async (h, sb) => {
      const { r, actual } = await h.converge({ path: join(sb.targetDir, 'empty') });
      assert.equal(directoryProvider.isDestructive!(r.desired, actual), false);
      await h.destroy(r, actual);
      assert.equal(await h.observe(r), undefined);
    }));
});

describe('Directory over something else', () => {
  it('refuses to replace a file at the path, and leaves it alone', () =>
    withDirectory(async (h, sb) => {
      const path = join(sb.targetDir, 'data');
      writeFileSync(path, 'not a folder');
      const r = await h.load({ path });
      const actual = await h.observe(r);
      assert.deepEqual(h.diff(r, actual), [
        { path: 'type', old: 'file', new: 'directory', forcesReplace: true },
      ]);
      await assert.rejects(
        h.apply(r, actual),
        (err: unknown) => err instanceof ProviderError && err.field === 'spec.path',
      );
      assert.equal(readFileSync(path, 'utf8'), 'not a folder');
    }));
});
