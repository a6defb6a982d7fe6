/**
 * The shared provider conformance suite (STYLE.md 17, after hono's router
 * conformance suite). Every provider proves the contract of ./types.ts
 * against the real target — create, no-op, drift, repair, delete, bad spec,
 * and a retry after a failed apply — with an explicit skip map giving a
 * reason for each case that does not apply. Providers call `runConformance`
 * from their own `*.test.ts`; the `Harness` builds each Ctx with the engine's
 * `createContext` and a real `SecretResolver`, the path the engine takes.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Change } from '../diff/index.js';
import { createContext, type RecordingCtx } from './context.js';
import { declaredDigest, formatKey, type Resource } from '../manifest/index.js';
import { SecretResolver } from '../secrets/index.js';
import { ProviderError } from './errors.js';
import type { EventType, Provider } from './types.js';

/** The cases of the suite; the keys of a suite's `skip` map. */
export type CaseName = 'create' | 'no-op' | 'drift' | 'repair' | 'delete' | 'bad spec' | 'failed apply';

/** A fresh temp folder: `projectDir` holds the manifest and is the source root; targets live in `targetDir`. */
export interface Sandbox {
  readonly root: string;
  readonly projectDir: string;
  readonly targetDir: string;
  /** Removes the whole tree, immutable entries included. */
  dispose(): void;
}

/** A way to break the actual state behind the provider's back, and the change paths diff must then report. */
export interface DriftFixture<Spec> {
  name: string;
  breakState(spec: Spec, sandbox: Sandbox): void;
  fields: string[];
}

/** A spec the schema must refuse, and the field path (e.g. `spec.mode`) an issue must name. */
export interface BadSpecFixture {
  name: string;
  spec(sandbox: Sandbox): unknown;
  field: string;
}

/** How to make an apply fail, for the "failed apply" case. */
export interface FailureFixture<Spec> {
  /** Whether the valid spec is applied before the failing apply (`present`) or not (`absent`). */
  start: 'absent' | 'present';
  /** The raw spec the failing apply converges to. Defaults to the valid spec. */
  update?(raw: Record<string, unknown>, sandbox: Sandbox): Record<string, unknown>;
  /** Makes the next apply fail; returns the undo, or undefined when this host cannot (the case is then skipped). */
  breakApply(spec: Spec, sandbox: Sandbox): (() => void) | undefined;
  /** The field the ProviderError must name. */
  field: string;
  /** Whether the error must carry a hint. Defaults to true. */
  hint?: boolean;
  /** Paths that must not exist after the failure (temp files). Defaults to none. */
  leftovers?(spec: Spec): string[];
}

/** One provider's fixtures for the suite. A case without a fixture must be skipped with a reason. */
export interface ConformanceSuite<Spec, Actual, Desired> {
  provider: Provider<Spec, Actual, Desired>;
  /** A valid raw spec (as written in a manifest) for a target inside `sandbox.targetDir`. */
  validSpec(sandbox: Sandbox): Record<string, unknown>;
  /** The change paths diff lists for a create of the valid spec. */
  createFields: string[];
  drifts?: DriftFixture<Spec>[];
  badSpecs?: BadSpecFixture[];
  failure?: FailureFixture<Spec>;
  /** `{caseName: reason}` for cases that do not apply to this provider. Defaults to {}. */
  skip?: Partial<Record<CaseName, string>>;
  harness?: HarnessOptions;
  /**
   * Brings the host back to where a case starts, before and after each case,
   * for targets outside the sandbox (system packages, users, units).
   * Defaults to nothing.
   */
  reset?(): void | Promise<void>;
}

/** How a Harness builds its contexts. */
export interface HarnessOptions {
  /** The environment `secretRef.env` reads. Defaults to {}. */
  env?: NodeJS.ProcessEnv;
  /** Root of the providers' working folders (ctx.workDir). Defaults to a folder in the sandbox. */
  workRoot?: string;
}

/** An event a provider recorded through `ctx.event`. */
export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
}

/** A spec as the engine holds it: parsed, with its own Ctx, resolved. */
export interface Loaded<Spec, Desired> {
  spec: Spec;
  ctx: RecordingCtx;
  desired: Desired;
}

/** Makes a fresh sandbox under the OS temp folder; the caller disposes of it. */
export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'setpoint-conformance-'));
  const sandbox = {
    root,
    projectDir: join(root, 'project'),
    targetDir: join(root, 'target'),
    dispose: () => removeTree(root),
  };
  mkdirSync(sandbox.projectDir);
  mkdirSync(sandbox.targetDir);
  return sandbox;
}

function removeTree(root: string): void {
  try {
    rmSync(root, { recursive: true, force: true });
  } catch {
    spawnSync('chattr', ['-R', '-i', root], { stdio: 'ignore' });
    rmSync(root, { recursive: true, force: true });
  }
}

/** Drives one provider the way the engine does: schema, createContext, resolve, then observe/diff/apply/destroy. */
export class Harness<Spec, Actual, Desired> {
  /** Every event recorded through any Ctx this harness built. */
  readonly events: RecordedEvent[] = [];
  private readonly secrets: SecretResolver;

  constructor(
    readonly provider: Provider<Spec, Actual, Desired>,
    readonly sandbox: Sandbox,
    options: HarnessOptions = {},
  ) {
    this.secrets = new SecretResolver({ env: options.env ?? {} });
    this.workRoot = options.workRoot;
  }

  /** Root of the providers' working folders; undefined = the context's default (<tmpdir>/setpoint-work). */
  readonly workRoot: string | undefined;

  /** Parses `raw` (throws on a bad spec), builds its Ctx as the engine does, and resolves it. */
  async load(raw: unknown): Promise<Loaded<Spec, Desired>> {
    const spec = this.provider.schema.parse(raw);
    const ctx = createContext({
      resource: resourceFor(this.provider.kind, spec, this.sandbox),
      sourceRoot: this.sandbox.projectDir,
      secrets: this.secrets,
      onEvent: (_id, type, reason, message) => this.events.push({ type, reason, message }),
      workRoot: this.workRoot,
    });
    const desired = this.provider.resolve
      ? await this.provider.resolve(spec, ctx)
      : (spec as unknown as Desired);
    return { spec, ctx, desired };
  }

  observe(r: Loaded<Spec, Desired>): Promise<Actual | undefined> {
    return this.provider.observe(r.desired, r.ctx);
  }

  diff(r: Loaded<Spec, Desired>, actual: Actual | undefined): Change[] {
    return this.provider.diff(r.desired, actual);
  }

  apply(r: Loaded<Spec, Desired>, actual: Actual | undefined): Promise<Actual> {
    if (!this.provider.apply) assert.fail(`${this.provider.kind} has no apply: skip this case with a reason`);
    return this.provider.apply(r.desired, actual, r.ctx);
  }

  destroy(r: Loaded<Spec, Desired>, actual: Actual): Promise<void> {
    if (!this.provider.destroy)
      assert.fail(`${this.provider.kind} has no destroy: skip this case with a reason`);
    return this.provider.destroy(r.desired, actual, r.ctx);
  }

  /** Loads `raw`, applies it, and checks that observe then sees it with an empty diff. */
  async converge(raw: unknown): Promise<{ r: Loaded<Spec, Desired>; actual: Actual }> {
    const r = await this.load(raw);
    await this.apply(r, await this.observe(r));
    const actual = await this.observe(r);
    assert.ok(actual !== undefined, 'observe after apply must see the target');
    assert.deepEqual(this.diff(r, actual), [], 'diff after apply must be empty');
    return { r, actual };
  }
}

function resourceFor(kind: string, spec: unknown, sandbox: Sandbox): Resource {
  const key = { kind, namespace: 'default', name: 'conformance' };
  const declared = {
    id: formatKey(key),
    metadata: { name: key.name, namespace: key.namespace, labels: {}, annotations: {} },
    spec,
    dependsOn: [],
    lifecycle: {},
  };
  return {
    ...declared,
    key,
    origin: { file: join(sandbox.projectDir, 'setpoint.yaml'), line: 1, column: 1, index: 0 },
    digest: declaredDigest(declared),
  };
}

/** The sorted change paths, for comparing with a fixture's field list. */
export function changePaths(changes: readonly Change[]): string[] {
  return changes.map((c) => c.path).sort();
}

interface TreeEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  size: number;
  mtimeMs?: number;
  sha256?: string;
  link?: string;
}

/**
 * Everything observable about a folder tree (listing, inodes, modes, owners,
 * content, link targets, mtimes), to prove an operation changed nothing.
 * With `dirTimes: false` folder mtimes are left out: a temp file created and
 * removed again touches its folder but not the target.
 */
export function snapshotTree(root: string, options: { dirTimes: boolean }): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const visit = (rel: string) => {
    const path = join(root, rel);
    const st = lstatSync(path);
    const entry: TreeEntry = {
      type: 'other',
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      ino: st.ino,
      size: st.size,
    };
    if (st.isFile())
      Object.assign(entry, {
        type: 'file',
        mtimeMs: st.mtimeMs,
        sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
      });
    else if (st.isSymbolicLink()) Object.assign(entry, { type: 'symlink', link: readlinkSync(path) });
    else if (st.isDirectory()) {
      entry.type = 'directory';
      if (options.dirTimes) entry.mtimeMs = st.mtimeMs;
    }
    out[rel || '.'] = entry;
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(rel, name));
  };
  visit('');
  return out;
}

/** True when this process is root. */
export const runningAsRoot = process.getuid?.() === 0;

/**
 * Makes `path` unchangeable: `chattr +i` as root (root ignores permission
 * bits), dropped write bits otherwise. Returns the undo, or undefined when
 * this host cannot (no chattr, or a file system without the attribute).
 */
export function makeUnwritable(path: string): (() => void) | undefined {
  if (runningAsRoot) {
    const locked = spawnSync('chattr', ['+i', path], { stdio: 'ignore' }).status === 0;
    return locked ? () => void spawnSync('chattr', ['-i', path], { stdio: 'ignore' }) : undefined;
  }
  const mode = lstatSync(path).mode & 0o7777;
  chmodSync(path, mode & ~0o222);
  return () => chmodSync(path, mode);
}

/** Registers the conformance cases for one provider under `describe('<Kind> conformance')`. */
export function runConformance<Spec, Actual, Desired>(suite: ConformanceSuite<Spec, Actual, Desired>): void {
  describe(`${suite.provider.kind} conformance`, () => {
    registerLifecycleCases(suite);
    registerDriftCases(suite);
    registerBadSpecCases(suite);
    registerFailureCase(suite);
  });
}

type CaseBody<Spec, Actual, Desired> = (
  h: Harness<Spec, Actual, Desired>,
  sandbox: Sandbox,
  t: TestContext,
) => Promise<void>;

/** One `it` with its own sandbox, skipped when the suite's skip map names the case. */
function conformanceCase<S, A, D>(
  suite: ConformanceSuite<S, A, D>,
  name: CaseName,
  title: string,
  body: CaseBody<S, A, D>,
): void {
  const reason = suite.skip?.[name];
  if (reason !== undefined && reason.trim() === '') throw new Error(`skip of "${name}" needs a reason`);
  it(`${name}: ${title}`, reason !== undefined ? { skip: reason } : {}, async (t) => {
    const sandbox = createSandbox();
    try {
      await suite.reset?.();
      await body(new Harness(suite.provider, sandbox, suite.harness), sandbox, t);
    } finally {
      sandbox.dispose();
      await suite.reset?.();
    }
  });
}

/** Registers a failing case when a fixture is missing and the case is not skipped: silence is not a pass. */
function requireFixture<S, A, D>(
  suite: ConformanceSuite<S, A, D>,
  name: CaseName,
  present: boolean,
): boolean {
  if (!present)
    conformanceCase(suite, name, 'has a fixture', async () => {
      assert.fail(`${suite.provider.kind} gives no fixture for "${name}": add one, or skip it with a reason`);
    });
  return present;
}

function assertHealth<S, A, D>(
  h: Harness<S, A, D>,
  r: Loaded<S, D>,
  actual: A | undefined,
  status: string,
): void {
  if (h.provider.health) assert.equal(h.provider.health(r.desired, actual).status, status);
}

function registerLifecycleCases<S, A, D>(suite: ConformanceSuite<S, A, D>): void {
  conformanceCase(
    suite,
    'create',
    'observe says absent, diff lists the fields, apply creates it',
    async (h, sb) => {
      const r = await h.load(suite.validSpec(sb));
      assert.equal(await h.observe(r), undefined, 'observe before create must say absent');
      assertHealth(h, r, undefined, 'Missing');
      assert.deepEqual(changePaths(h.diff(r, undefined)), [...suite.createFields].sort());
      const returned = await h.apply(r, undefined);
      const observed = await h.observe(r);
      assert.ok(observed !== undefined, 'observe after apply must see the target');
      assert.deepEqual(h.diff(r, observed), []);
      assert.deepEqual(returned, observed, 'apply returns the actual state observe then sees');
      assertHealth(h, r, observed, 'Healthy');
    },
  );

  conformanceCase(suite, 'no-op', 'applying again changes nothing', async (h, sb) => {
    const { r, actual } = await h.converge(suite.validSpec(sb));
    const before = snapshotTree(sb.root, { dirTimes: true });
    const returned = await h.apply(r, actual);
    assert.deepEqual(
      snapshotTree(sb.root, { dirTimes: true }),
      before,
      'a second apply must not touch the target',
    );
    const fresh = await h.load(suite.validSpec(sb));
    const observed = await h.observe(fresh);
    assert.deepEqual(h.diff(fresh, observed), []);
    assert.deepEqual(returned, observed, 'apply returns the actual state observe then sees');
  });

  conformanceCase(
    suite,
    'delete',
    'destroy removes it, observe says absent, destroy again is harmless',
    async (h, sb) => {
      const { r, actual } = await h.converge(suite.validSpec(sb));
      await h.destroy(r, actual);
      assert.equal(await h.observe(r), undefined, 'observe after destroy must say absent');
      assertHealth(h, r, undefined, 'Missing');
      await h.destroy(r, actual);
      assert.equal(await h.observe(r), undefined);
    },
  );
}

function registerDriftCases<S, A, D>(suite: ConformanceSuite<S, A, D>): void {
  const drifts = suite.drifts ?? [];
  // Both cases live on the drift fixtures: without them, each reports its own missing fixture.
  const hasDrift = requireFixture(suite, 'drift', drifts.length > 0);
  if (!requireFixture(suite, 'repair', drifts.length > 0) || !hasDrift) return;
  for (const drift of drifts) {
    conformanceCase(suite, 'drift', `${drift.name} is reported by field`, async (h, sb) => {
      const { r } = await h.converge(suite.validSpec(sb));
      drift.breakState(r.spec, sb);
      const fresh = await h.load(suite.validSpec(sb));
      assert.deepEqual(changePaths(h.diff(fresh, await h.observe(fresh))), [...drift.fields].sort());
    });
    conformanceCase(suite, 'repair', `${drift.name} is undone by apply`, async (h, sb) => {
      const { r } = await h.converge(suite.validSpec(sb));
      drift.breakState(r.spec, sb);
      const fresh = await h.load(suite.validSpec(sb));
      await h.apply(fresh, await h.observe(fresh));
      const repaired = await h.observe(fresh);
      assert.ok(repaired !== undefined, 'observe after repair must see the target');
      assert.deepEqual(h.diff(fresh, repaired), []);
      assertHealth(h, fresh, repaired, 'Healthy');
    });
  }
}

function registerBadSpecCases<S, A, D>(suite: ConformanceSuite<S, A, D>): void {
  const bad = suite.badSpecs ?? [];
  if (!requireFixture(suite, 'bad spec', bad.length > 0)) return;
  for (const fixture of bad) {
    conformanceCase(
      suite,
      'bad spec',
      `${fixture.name} is refused, naming ${fixture.field}`,
      async (h, sb) => {
        const result = h.provider.schema.safeParse(fixture.spec(sb));
        assert.ok(!result.success, 'the schema must refuse the spec');
        const named = result.error.issues.flatMap((issue) => {
          const at = ['spec', ...issue.path.map(String)].join('.');
          return issue.code === 'unrecognized_keys' ? issue.keys.map((k) => `${at}.${k}`) : [at];
        });
        assert.ok(
          named.includes(fixture.field),
          `no issue names ${fixture.field}; issues name ${named.join(', ')}`,
        );
      },
    );
  }
}

function registerFailureCase<S, A, D>(suite: ConformanceSuite<S, A, D>): void {
  const f = suite.failure;
  if (!requireFixture(suite, 'failed apply', f !== undefined) || !f) return;
  conformanceCase(
    suite,
    'failed apply',
    'throws a ProviderError, leaves the target as it was, a retry converges',
    async (h, sb, t) => {
      const base = suite.validSpec(sb);
      const raw = f.update ? f.update(base, sb) : base;
      if (f.start === 'present') await h.converge(base);
      const r = await h.load(raw);
      const undo = f.breakApply(r.spec, sb);
      if (!undo)
        return t.skip('this host cannot make the apply fail (needs chattr as root, or a non-root user)');
      try {
        const before = snapshotTree(sb.root, { dirTimes: false });
        const actual = await h.observe(r);
        assert.notDeepEqual(h.diff(r, actual), [], 'the failing apply must have something to do');
        const err = await h.apply(r, actual).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof ProviderError, `apply must reject with a ProviderError, got ${String(err)}`);
        assert.equal(err.field, f.field);
        assert.match(err.code, /^SETPOINT_/);
        if (f.hint !== false) assert.ok(err.hint, 'the error must carry a hint');
        assert.deepEqual(
          snapshotTree(sb.root, { dirTimes: false }),
          before,
          'a failed apply leaves the target as it was',
        );
        for (const p of f.leftovers?.(r.spec) ?? [])
          assert.equal(lstatSync(p, { throwIfNoEntry: false }), undefined, `${p} must not remain`);
      } finally {
        undo();
      }
      const retry = await h.load(raw);
      await h.apply(retry, await h.observe(retry));
      assert.deepEqual(h.diff(retry, await h.observe(retry)), [], 'the retry converges');
    },
  );
}
