/**
 * Runs the CLI bundle (dist/bundle/setpoint.cjs) with V8's code cache.
 * Compiling the 2.4 MB bundle is a fifth of a short command's CPU, and Node
 * 20 has no compile cache of its own (module.enableCompileCache is Node
 * 22), so the bundle is a CommonJS script compiled here as a vm.Script with
 * the bytes V8 produced on an earlier run. The cache sits beside the bundle,
 * named after the build's id (the bundle's last line): a rebuilt bundle never
 * meets an old cache, and V8 itself rejects one made by another Node. It is
 * written once, after the first run (or a rejection), atomically, when the
 * command exits — by then it also holds the functions that run compiled.
 * Where the folder is read-only (a system-wide install), the CLI runs
 * without one.
 */
import { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { lendImport } from '../util/import-module.js';

const BUILD_ID = /\/\/ setpoint-build ([0-9a-f]{16})\n$/;

/** The cache file for a bundle's source, or undefined for a bundle without a build id. */
export function cacheFileFor(bundle: string, source: string): string | undefined {
  const id = BUILD_ID.exec(source.slice(-64))?.[1];
  return id ? `${bundle}.${id}.cache` : undefined;
}

/** Compiles and runs the CommonJS file `bundle` as Node would, with its code cache. */
export function runWithCodeCache(bundle: string): void {
  const source = readFileSync(bundle, 'utf8');
  const cacheFile = cacheFileFor(bundle, source);
  const cachedData = cacheFile ? readIfThere(cacheFile) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  // The bundle's import() of what stays outside it (OpenTelemetry, plugins): see util/import-module.ts.
  lendImport((specifier) => import(specifier));
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected))
    process.once('exit', () => writeCache(cacheFile, script));
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only folder, a full disk or a concurrent writer only means no cache this time. */
function writeCache(file: string, script: Script): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    // A folder this user cannot write (a system-wide install): do not serialise for nothing at every run.
    accessSync(dirname(file), constants.W_OK);
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}
