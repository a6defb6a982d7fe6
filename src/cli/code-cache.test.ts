/**
 * The CLI's loader on a small bundle of its own, in real child processes:
 * the first run writes the code cache named after the build id, the next
 * runs use it without writing it again, import() reaches modules outside the
 * bundle, and a bundle without a build id runs without a cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { cacheFileFor } from './code-cache.js';

// What the bundle's importModule() calls (util/import-module.ts): the import() the loader lends.
const BUNDLE = `globalThis[Symbol.for('setpoint.import')]('node:os')
  .then((os) => console.log(typeof os.platform === 'function' ? 'imported' : 'no', __filename.endsWith('.cjs')));
`;

/** Runs the loader on `bundle` under tsx (the loader's source), as bin/setpoint.js runs it on the built one. */
function run(bundle: string): string {
  const loader = pathToFileURL(join(import.meta.dirname, 'code-cache.ts')).href;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { runWithCodeCache } from ${JSON.stringify(loader)}; runWithCodeCache(${JSON.stringify(bundle)});`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('the CLI loader with a code cache', () => {
  it('names the cache after the build id on the last line', () => {
    assert.equal(
      cacheFileFor('/x/b.cjs', 'code\n// setpoint-build 0123456789abcdef\n'),
      '/x/b.cjs.0123456789abcdef.cache',
    );
    assert.equal(cacheFileFor('/x/b.cjs', 'code\n'), undefined);
  });

  it('writes the cache on the first run, uses it after, and lends import() to the bundle', () => {
    const dir = tempDir('setpoint-code-cache-');
    const bundle = join(dir, 'b.cjs');
    writeFileSync(bundle, `${BUNDLE}// setpoint-build 00000000000000aa\n`);
    assert.equal(run(bundle), 'imported true');
    const cache = `${bundle}.00000000000000aa.cache`;
    const written = statSync(cache);
    assert.ok(written.size > 0);
    assert.equal(run(bundle), 'imported true');
    assert.equal(statSync(cache).mtimeMs, written.mtimeMs, 'an accepted cache is not written again');
    assert.deepEqual(readdirSync(dir).sort(), ['b.cjs', 'b.cjs.00000000000000aa.cache']);
  });

  it('runs a bundle without a build id, and writes no cache', () => {
    const dir = tempDir('setpoint-code-cache-');
    const bundle = join(dir, 'b.cjs');
    writeFileSync(bundle, BUNDLE);
    assert.equal(run(bundle), 'imported true');
    assert.deepEqual(readdirSync(dir), ['b.cjs']);
  });
});
