/** `setpoint policy test` underneath: the starter library passes; fixtures are found, grouped, and fail loudly. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../../test/helpers.js';
import { defaultRegistry } from '../providers/index.js';
import { loadDesired } from '../desired/desired.js';
import { findFixtures, testPolicies } from './test-runner.js';

const registry = defaultRegistry();
const run = (paths: string[]) =>
  testPolicies({
    paths,
    catalog: registry,
    load: (p) => loadDesired({ paths: p, catalog: registry, projectRoot: ROOT }),
  });

describe('policy tests', () => {
  it('the starter library in examples/policies passes its own tests, one fixture per policy', () => {
    const report = run([join(ROOT, 'examples', 'policies')]);
    assert.deepEqual(report.diagnostics, []);
    assert.equal(report.ok, true, JSON.stringify(report.files.flatMap((f) => f.cases.filter((c) => !c.ok))));
    assert.deepEqual(report.files.map((f) => f.policy).sort(), [
      'etc-owned-by-root',
      'etc-owned-by-root-actual',
      'exec-real-check',
      'no-inline-secrets',
      'no-world-writable',
      'no-world-writable-actual',
      'process-owner-label',
    ]);
    for (const f of report.files) {
      assert.ok(
        f.cases.some((c) => c.expect === 'pass'),
        `${f.file} tests a compliant case`,
      );
      assert.ok(
        f.cases.some((c) => c.expect === 'violation'),
        `${f.file} tests a violation`,
      );
    }
    assert.equal(report.failed, 0);
  });

  it('fails on a mismatch, on a fixture that cannot run, and with no fixtures at all', () => {
    const dir = tempDir('setpoint-policy-tests-');
    mkdirSync(join(dir, 'p'));
    writeFileSync(
      join(dir, 'p', 'p.yaml'),
      'kind: Policy\nmetadata: { name: p }\nspec: { rule: "object.metadata.name != \'bad\'" }\n',
    );
    writeFileSync(
      join(dir, 'p', 'p.test.yaml'),
      'policy: p\ncases:\n  - { name: good, object: { kind: Exec, metadata: { name: bad }, spec: { check: x, apply: y } }, expect: pass }\n',
    );
    writeFileSync(join(dir, 'broken.test.yaml'), 'policy: p\npolicies: p\ncases: nope\n');
    const report = run([dir]);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.files.map((f) => [
        f.file.slice(dir.length),
        f.error?.message ?? f.cases.map((c) => c.problem).join(),
      ]),
      [
        ['/broken.test.yaml', 'cases: Invalid input: expected array, received string'],
        ['/p/p.test.yaml', 'expected pass, got violation'],
      ],
    );
    assert.equal(run([join(dir, 'p', 'p.yaml')]).ok, false, 'no fixture: not a pass');
  });

  it('a fixture whose policy does not compile shows the diagnostic', () => {
    const dir = tempDir('setpoint-policy-tests-');
    writeFileSync(
      join(dir, 'p.yaml'),
      'kind: Policy\nmetadata: { name: p }\nspec: { rule: "object.spec." }\n',
    );
    writeFileSync(
      join(dir, 'p.test.yaml'),
      'policy: p\ncases:\n  - { name: x, object: { kind: Exec, metadata: { name: a }, spec: { check: x, apply: y } }, expect: pass }\n',
    );
    const report = run([dir]);
    assert.match(report.diagnostics[0].summary, /invalid CEL rule: Expected IDENTIFIER, got EOF/);
    assert.match(report.files[0].error?.message ?? '', /no valid policy named p/);
  });

  it('find fixtures only, skipping hidden folders', () => {
    const dir = tempDir('setpoint-policy-tests-');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'x.test.yaml'), '');
    writeFileSync(join(dir, 'a.yaml'), '');
    writeFileSync(join(dir, 'a.test.yml'), '');
    writeFileSync(join(dir, 'b.test.json'), '');
    assert.deepEqual(
      findFixtures([dir]).map((f) => f.slice(dir.length)),
      ['/a.test.yml', '/b.test.json'],
    );
  });
});
