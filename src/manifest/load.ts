/**
 * Finds manifest files under `-f` paths: a file, or a folder walked
 * recursively (sorted; hidden folders, node_modules and `*.test.yaml` files skipped).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Diagnostics } from './diagnostics.js';
import { isManifestFile, readManifestFile, type RawDocument } from './parse.js';

/** Files named this at a folder's top are project settings, not manifests. */
export const SETTINGS_FILE = 'setpoint.yaml';

/** Files named `*.test.yaml` (`.yml`, `.json`) are tests (policy test fixtures), not manifests. */
export const TEST_FILE_PATTERN = /\.test\.(ya?ml|json)$/;

export function isTestFile(name: string): boolean {
  return TEST_FILE_PATTERN.test(name);
}

export function findManifestFiles(paths: readonly string[], diags: Diagnostics): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      diags.error({
        code: 'SETPOINT_MANIFEST_UNREADABLE',
        summary: `no such file or folder: ${p}`,
        file: p,
        hint: 'check the -f path',
      });
      continue;
    }
    if (!isDir) files.push(abs);
    else walk(abs, files, true);
  }
  return [...new Set(files)];
}

function walk(dir: string, out: string[], top: boolean): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, out, false);
    else if (
      e.isFile() &&
      isManifestFile(e.name) &&
      !isTestFile(e.name) &&
      !(top && e.name === SETTINGS_FILE)
    )
      out.push(full);
  }
}

export function loadDocuments(paths: readonly string[], diags: Diagnostics): RawDocument[] {
  const docs: RawDocument[] = [];
  for (const file of findManifestFiles(paths, diags))
    for (const d of readManifestFile(file, diags)) docs.push(d);
  return docs;
}
