/**
 * Policy tests, for policy authors' CI: a fixture file names a policy and
 * lists cases, each a resource document (and, for runtime policies, an
 * observed state) with the expected verdict.
 *
 * ```yaml
 * # no-world-writable.test.yaml
 * policy: no-world-writable       # the Policy's metadata.name
 * policies: no-world-writable.yaml   # file or folder holding it; defaults to this file's folder
 * cases:
 *   - name: a 0644 file complies
 *     object: { kind: File, metadata: { name: motd }, spec: { path: /etc/motd, content: "hi", mode: "0644" } }
 *     expect: pass
 *   - name: a file chmod-ed to 0777 is caught
 *     object: { kind: File, metadata: { name: motd }, spec: { path: /etc/motd, content: "hi" } }
 *     actual: { mode: "0777" }
 *     expect: violation
 *     message: world-writable        # optional: the message must contain this
 * ```
 *
 * Files named `*.test.yaml` (`.yml`, `.json`) are fixtures; manifest folders skip them.
 */
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import {
  Diagnostics,
  FieldLocator,
  isTestFile,
  readManifestFile,
  validateOne,
  type Diagnostic,
  type KindCatalog,
  type RawDocument,
} from '../manifest/index.js';
import { ACTUAL_VAR, OBJECT_VAR, toCel } from './cel.js';
import { policyObject, subjectOf } from './compile.js';
import { PolicyFixtureError } from './errors.js';
import { judge, type PolicySet } from './policy-set.js';

/** Fixture files are the manifest layer's test files (`*.test.yaml`), which manifest folders skip. */
export const isFixtureFile = isTestFile;

const CaseSchema = z.strictObject({
  name: z.string().min(1),
  object: z.record(z.string(), z.unknown()).describe('A resource document, as in a manifest.'),
  actual: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('The observed state, as `setpoint describe` shows it (for rules that read `actual`).'),
  expect: z.enum(['pass', 'violation']),
  message: z.string().optional().describe('The violation message must contain this.'),
});

export const FixtureSchema = z.strictObject({
  policy: z.string().min(1).describe("The Policy's metadata.name."),
  policies: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A file or folder holding the policy, relative to the fixture. Defaults to the fixture's folder.",
    ),
  cases: z.array(CaseSchema).min(1),
});

export type PolicyFixture = z.infer<typeof FixtureSchema>;

export interface FixtureCase {
  name: string;
  expect: 'pass' | 'violation';
  message?: string;
  /** The case's object as a validated resource document, or the problems that stopped it. */
  document: RawDocument;
  actual?: Record<string, unknown>;
}

export interface LoadedFixture {
  file: string;
  policy: string;
  /** Absolute path of the policies' file or folder. */
  policies: string;
  cases: FixtureCase[];
}

/** Reads and checks a fixture file; throws PolicyFixtureError when it cannot be used at all. */
export function readFixture(file: string): LoadedFixture {
  // The manifest reader's checks: bounded size, regular files, UTF-8 only, alias and depth limits.
  const diags = new Diagnostics();
  const docs = readManifestFile(file, diags);
  if (diags.hasErrors || docs.length !== 1) {
    const first = diags.errors[0];
    throw new PolicyFixtureError(
      first
        ? `${first.line !== undefined ? `line ${first.line}: ` : ''}${first.summary}`
        : `a policy test file holds one document, found ${docs.length}`,
      file,
      first?.hint ?? 'see `setpoint policy test --help` for the format',
    );
  }
  const parsed = FixtureSchema.safeParse(docs[0].value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PolicyFixtureError(
      `${issue.path.join('.') || 'the document'}: ${issue.message}`,
      file,
      'a policy test has policy, cases: [{name, object, actual?, expect: pass|violation}]',
    );
  }
  const locator = new FieldLocator();
  const cases = parsed.data.cases.map((c, i) => {
    const pos = locator.locate(file, docs[0].index, ['cases', i, 'object']);
    return {
      name: c.name,
      expect: c.expect,
      message: c.message,
      actual: c.actual,
      document: {
        file,
        index: docs[0].index,
        line: pos?.line ?? docs[0].line,
        column: pos?.column ?? docs[0].column,
        value: c.object,
      },
    };
  });
  return {
    file,
    policy: parsed.data.policy,
    policies: resolve(dirname(file), parsed.data.policies ?? '.'),
    cases,
  };
}

export interface CaseResult {
  name: string;
  expect: 'pass' | 'violation';
  /** The verdict, or `error` when the case could not be judged. */
  got: 'pass' | 'violation' | 'error';
  ok: boolean;
  /** The violation's message, the rule's error, or what is wrong with the case. */
  message?: string;
  /** Why the case failed, in one line. */
  problem?: string;
  /** Problems with the case's object. */
  diagnostics?: Diagnostic[];
}

/** Runs a fixture's cases against the named policy of `policies`. */
export function runFixture(fixture: LoadedFixture, policies: PolicySet, catalog: KindCatalog): CaseResult[] {
  const policy = policies.get(fixture.policy);
  if (!policy) {
    const names = policies.policies.map((p) => p.name);
    throw new PolicyFixtureError(
      `no valid policy named ${fixture.policy} in ${fixture.policies}`,
      fixture.file,
      names.length
        ? `policies there: ${names.join(', ')}`
        : 'set `policies:` to the file or folder that declares it',
    );
  }
  return fixture.cases.map((c): CaseResult => {
    const base = { name: c.name, expect: c.expect };
    const diags = new Diagnostics();
    // Field positions are looked up under the case's `object`, not the fixture's root.
    const locator = new ObjectLocator(['cases', fixture.cases.indexOf(c), 'object']);
    const resource = validateOne(c.document, { catalog, locator }, diags);
    if (!resource)
      return {
        ...base,
        got: 'error',
        ok: false,
        problem: 'the object is not a valid resource',
        diagnostics: diags.items,
      };
    if (policy.runtime && !c.actual)
      return {
        ...base,
        got: 'error',
        ok: false,
        problem: `policy ${policy.name} reads \`actual\`: give the case an actual (the observed state)`,
      };
    if (!policy.applies(subjectOf(resource))) return verdictResult(base, 'pass', c);
    const context: Record<string, unknown> = { [OBJECT_VAR]: policyObject(resource) };
    if (c.actual) context[ACTUAL_VAR] = toCel(c.actual);
    const v = judge(policy, resource, context, policy.runtime ? 'runtime' : 'admission');
    if (v?.error)
      return { ...base, got: 'error', ok: false, message: v.message, problem: `the rule failed: ${v.error}` };
    return verdictResult(base, v ? 'violation' : 'pass', c, v?.message);
  });
}

function verdictResult(
  base: { name: string; expect: 'pass' | 'violation' },
  got: 'pass' | 'violation',
  c: FixtureCase,
  message?: string,
): CaseResult {
  if (got !== c.expect)
    return { ...base, got, ok: false, message, problem: `expected ${c.expect}, got ${got}` };
  if (got === 'violation' && c.message !== undefined && !(message ?? '').includes(c.message))
    return {
      ...base,
      got,
      ok: false,
      message,
      problem: `expected the message to contain ${JSON.stringify(c.message)}`,
    };
  return { ...base, got, ok: true, message };
}

/** Locates fields of a case's object inside the fixture document. */
class ObjectLocator extends FieldLocator {
  constructor(private readonly prefix: ReadonlyArray<string | number>) {
    super();
  }

  override locate(file: string, index: number, path: ReadonlyArray<string | number>, jsonArrayItem = false) {
    return super.locate(file, index, [...this.prefix, ...path], jsonArrayItem);
  }

  override locateKey(file: string, index: number, path: ReadonlyArray<string | number>) {
    return super.locateKey(file, index, [...this.prefix, ...path]);
  }
}
