/**
 * `setpoint policy test`: finds policy test fixtures (`*.test.yaml`) under
 * the given paths, loads the policies each names (from its `policies:` path,
 * else its folder) and runs its cases. Loaded policy sets are reused across
 * fixtures that share a folder.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic, Diagnostics, KindCatalog } from '../manifest/index.js';
import {
  isFixtureFile,
  PolicyFixtureError,
  readFixture,
  runFixture,
  type CaseResult,
  type PolicySet,
} from './index.js';

export interface FixtureReport {
  file: string;
  policy?: string;
  cases: CaseResult[];
  /** The fixture could not run at all. */
  error?: { message: string; hint?: string };
}

export interface PolicyTestReport {
  files: FixtureReport[];
  passed: number;
  failed: number;
  /** Problems loading the policies (a policy that does not compile fails its fixtures). */
  diagnostics: Diagnostic[];
  ok: boolean;
}

export interface PolicyTestRequest {
  paths: readonly string[];
  /** Validates the cases' objects. */
  catalog: KindCatalog;
  /** Loads the policies under `paths` (the desired-state loader, passed in: policy/ sits below it). */
  load(paths: readonly string[]): { diagnostics: Diagnostics; policies: PolicySet };
}

export function testPolicies(request: PolicyTestRequest): PolicyTestReport {
  const files: FixtureReport[] = [];
  const diagnostics: Diagnostic[] = [];
  const loaded = new Map<string, PolicySet>();
  const policiesAt = (path: string): PolicySet => {
    let set = loaded.get(path);
    if (!set) {
      const desired = request.load([path]);
      diagnostics.push(
        ...desired.diagnostics.items.filter(
          (d) => d.severity === 'error' && d.resourceId?.startsWith('Policy/'),
        ),
      );
      loaded.set(path, (set = desired.policies));
    }
    return set;
  };
  for (const file of findFixtures(request.paths)) {
    try {
      const fixture = readFixture(file);
      files.push({
        file,
        policy: fixture.policy,
        cases: runFixture(fixture, policiesAt(fixture.policies), request.catalog),
      });
    } catch (err) {
      if (!(err instanceof PolicyFixtureError)) throw err;
      files.push({ file, cases: [], error: { message: err.message, hint: err.hint } });
    }
  }
  const cases = files.flatMap((f) => f.cases);
  const passed = cases.filter((c) => c.ok).length;
  const failed = cases.length - passed;
  return {
    files,
    passed,
    failed,
    diagnostics,
    ok: failed === 0 && files.length > 0 && files.every((f) => !f.error),
  };
}

/** Fixture files under each path (a file is taken as it is), sorted; hidden folders and node_modules skipped. */
export function findFixtures(paths: readonly string[]): string[] {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && isFixtureFile(e.name)) out.add(full);
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      throw new PolicyFixtureError(
        `no such file or folder: ${p}`,
        p,
        'give the folder holding the *.test.yaml files',
      );
    }
    if (isDir) walk(abs);
    else out.add(abs);
  }
  return [...out];
}
