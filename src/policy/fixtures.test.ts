import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { tempDir } from '../../test/helpers.js';
import {
  Diagnostics,
  FieldLocator,
  parseManifestText,
  validateOne,
  type KindCatalog,
} from '../manifest/index.js';
import { admitResources } from './admit.js';
import { withPolicyKind } from './catalog.js';
import { PolicyFixtureError } from './errors.js';
import { readFixture, runFixture } from './fixtures.js';

const catalog: KindCatalog = {
  kinds: () => ['File'],
  specSchema: (k) =>
    k === 'File'
      ? z.strictObject({ path: z.string(), mode: z.string().optional(), owner: z.string().optional() })
      : undefined,
};

const dir = tempDir('setpoint-fixtures-');
let n = 0;
const write = (text: string, name = `f${n++}.test.yaml`) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

function policies(text: string) {
  const file = write(text, `p${n++}.yaml`);
  const diags = new Diagnostics();
  const locator = new FieldLocator();
  const rs = parseManifestText(file, text, diags).map((d) =>
    validateOne(d, { catalog: withPolicyKind(catalog), locator }, diags)!,
  );
  const { policies } = admitResources(rs, diags, { locator });
  assert.deepEqual(diags.items, []);
  return policies;
}

const set = policies(`kind: Policy
metadata: { name: mode }
spec:
  match: { kinds: [File] }
  rule: "object.spec.mode != '0777'"
  message: "\${object.spec.path} is 0777"
---
kind: Policy
metadata: { name: disk }
spec:
  rule: "actual.mode != '0777'"
---
kind: Policy
metadata: { name: owner }
spec:
  rule: "object.spec.owner == 'root'"
`);

const file = (mode: string) => `{ kind: File, metadata: { name: f }, spec: { path: /x, mode: "${mode}" } }`;

describe('policy test fixtures', () => {
  it('run each case and compare the verdict and the message', () => {
    const f = readFixture(
      write(`policy: mode
cases:
  - { name: ok, object: ${file('0644')}, expect: pass }
  - { name: caught, object: ${file('0777')}, expect: violation, message: "/x is 0777" }
  - { name: wrong verdict, object: ${file('0644')}, expect: violation }
  - { name: wrong message, object: ${file('0777')}, expect: violation, message: nope }
`),
    );
    assert.deepEqual(
      runFixture(f, set, catalog).map((r) => [r.name, r.got, r.ok, r.problem]),
      [
        ['ok', 'pass', true, undefined],
        ['caught', 'violation', true, undefined],
        ['wrong verdict', 'pass', false, 'expected violation, got pass'],
        ['wrong message', 'violation', false, 'expected the message to contain "nope"'],
      ],
    );
  });

  it('a case whose object is not a valid resource fails with its problems, located in the fixture', () => {
    const f = readFixture(
      write(
        `policy: mode\ncases:\n  - name: typo\n    object:\n      kind: File\n      metadata: { name: f }\n      spec: { path: /x, mdoe: "0777" }\n    expect: violation\n`,
      ),
    );
    const [r] = runFixture(f, set, catalog);
    assert.equal(r.got, 'error');
    assert.equal(r.problem, 'the object is not a valid resource');
    assert.deepEqual(
      r.diagnostics?.map((d) => [d.field, d.summary, d.line]),
      [['spec.mdoe', 'unknown field "mdoe"', 7]],
    );
  });

  it('a runtime policy needs an actual; with one it is judged on it', () => {
    const f = readFixture(
      write(
        `policy: disk\ncases:\n  - { name: no actual, object: ${file('0644')}, expect: pass }\n  - { name: on disk, object: ${file('0644')}, actual: { mode: "0777" }, expect: violation }\n`,
      ),
    );
    const [a, b] = runFixture(f, set, catalog);
    assert.equal(a.ok, false);
    assert.match(a.problem ?? '', /reads `actual`/);
    assert.equal(b.ok, true);
  });

  it('a rule that fails to evaluate fails its case, whatever was expected', () => {
    const f = readFixture(
      write(`policy: owner\ncases:\n  - { name: no owner, object: ${file('0644')}, expect: violation }\n`),
    );
    const [r] = runFixture(f, set, catalog);
    assert.deepEqual([r.got, r.ok, r.problem], ['error', false, 'the rule failed: No such key: owner']);
  });

  it('name the policies there when the fixture names an unknown one', () => {
    const f = readFixture(
      write(`policy: mdoe\ncases:\n  - { name: x, object: ${file('0644')}, expect: pass }\n`),
    );
    assert.throws(
      () => runFixture(f, set, catalog),
      (err: PolicyFixtureError) =>
        /no valid policy named mdoe/.test(err.message) && err.hint === 'policies there: mode, disk, owner',
    );
  });

  it('refuse a fixture of the wrong shape, with the field', () => {
    assert.throws(() => readFixture(write('policy: mode\ncases: []\n')), /cases: Too small/);
    assert.throws(
      () =>
        readFixture(write(`policy: mode\ncases:\n  - { name: x, object: ${file('0644')}, expect: maybe }\n`)),
      /cases\.0\.expect/,
    );
    assert.throws(() => readFixture(write('policy: a\n---\npolicy: b\n')), /holds one document, found 2/);
    assert.throws(() => readFixture(join(dir, 'missing.test.yaml')), PolicyFixtureError);
  });

  it('refuse a fixture that is not UTF-8 at its line, instead of reading U+FFFD', () => {
    const path = write('');
    writeFileSync(
      path,
      Buffer.concat([Buffer.from('policy: mode\ncases:\n  - { name: caf'), Buffer.from([0xe9, 0x0a])]),
    );
    assert.throws(
      () => readFixture(path),
      (err: PolicyFixtureError) =>
        /^line 3: the manifest is not valid UTF-8: byte 0xE9/.test(err.message) &&
        /UTF-8/.test(err.hint ?? ''),
    );
  });

  it('resolve policies: relative to the fixture, defaulting to its folder', () => {
    assert.equal(
      readFixture(write(`policy: mode\ncases:\n  - { name: x, object: ${file('0644')}, expect: pass }\n`))
        .policies,
      dir,
    );
    assert.equal(
      readFixture(
        write(
          `policy: mode\npolicies: sub/p.yaml\ncases:\n  - { name: x, object: ${file('0644')}, expect: pass }\n`,
        ),
      ).policies,
      join(dir, 'sub/p.yaml'),
    );
  });
});
