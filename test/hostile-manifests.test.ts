/**
 * Hostile and malformed manifests end to end (issue 11, items 7-9 and the
 * same classes beyond them): each is refused by validate, plan and apply
 * with a located error, completes in bounded time, and changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sandbox, type CliResult, type Sandbox } from './helpers.js';

/** Bounds each command: a regression to exponential time fails here instead of hanging the suite. */
const BOUNDED = { timeoutMs: 60_000 };

type Command = 'validate' | 'plan' | 'apply';
const ARGS: Record<Command, string[]> = {
  validate: ['validate', '-f', 'm'],
  plan: ['plan', '-f', 'm'],
  apply: ['apply', '-f', 'm', '--yes'],
};

/**
 * Runs the commands on m/: each exits 1 and says every `expected`; nothing
 * was written to out/. plan loads manifests exactly as apply does, so most
 * cases run validate and apply only (the machine is shared: be frugal).
 */
function refused(s: Sandbox, expected: RegExp[], commands: Command[] = ['validate', 'apply']): void {
  mkdirSync(s.path('out'), { recursive: true });
  const results: Array<[Command, CliResult]> = commands.map((c) => [c, s.run(ARGS[c], BOUNDED)]);
  for (const [name, r] of results) {
    assert.equal(r.code, 1, `${name} exits 1\n${r.stdout}\n${r.stderr}`);
    for (const re of expected) assert.match(r.stderr, re, `${name} says ${re}`);
  }
  assert.deepEqual(readdirSync(s.path('out')), [], 'no target was written');
}

const file = (name: string, path: string, content: string) =>
  `kind: File\nmetadata:\n  name: ${name}\nspec:\n  path: ${path}\n  content: ${JSON.stringify(content)}\n`;

describe('hostile manifests', () => {
  test('two resources on one path are refused, naming both and both declarations (#7)', () => {
    const s = sandbox();
    const target = s.path('out', 'motd');
    s.write({
      'm/a.yaml': file('one', target, 'one\n'),
      // The same path spelt with a trailing slash, and a Symlink on it.
      'm/b.yaml': `${file('two', `${target}/`, 'two\n')}---\nkind: Symlink\nmetadata:\n  name: link\nspec:\n  path: ${target}\n  target: /etc/hostname\n`,
    });
    refused(
      s,
      [
        /m\/b\.yaml:5:9: File\/default\/two: spec\.path: .*out\/motd is already managed by File\/default\/one/,
        /File\/default\/one declares it at .*m\/a\.yaml:5:9 \(spec\.path\)/,
        /m\/b\.yaml:12:9: Symlink\/default\/link: spec\.path: .*already managed by File\/default\/one/,
        /^2 errors$/m,
      ],
      ['validate', 'plan', 'apply'],
    );
  });

  test('a File on a declared Directory path, and a file inside a File (#9)', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `kind: Directory\nmetadata:\n  name: d\nspec:\n  path: ${s.path('out', 'd')}\n---\n${file('f', s.path('out', 'd'), 'x')}---\n${file('inner', s.path('out', 'g', 'x'), 'x')}---\n${file('g', s.path('out', 'g'), 'x')}`,
    });
    refused(s, [
      /File\/default\/f: spec\.path: .*out\/d is already managed by Directory\/default\/d/,
      /File\/default\/inner: spec\.path: .*out\/g\/x is inside .*out\/g, which File\/default\/g manages as a regular file/,
    ]);
  });

  test('a catastrophic regular expression in a policy is matched in linear time (#8)', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': file('evil', s.path('out', 'evil'), 'a'.repeat(34) + '!'),
      'm/policy.yaml':
        'kind: Policy\nmetadata:\n  name: only-as\nspec:\n  rule: "object.spec.content.matches(\'^(a+)+$\')"\n',
    });
    // Exponential backtracking took ~100 s per command; BOUNDED kills a regression after 60 s.
    refused(s, [/File\/default\/evil: denied by policy only-as/], ['validate', 'plan', 'apply']);
  });

  test('a pattern RE2 cannot run is refused at the policy, with the RE2 hint (#8)', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': file('f', s.path('out', 'f'), 'aa'),
      'm/policy.yaml':
        'kind: Policy\nmetadata:\n  name: backref\nspec:\n  rule: "object.spec.content.matches(\'(a)\\\\\\\\1\')"\n',
    });
    refused(s, [
      /policy\.yaml:5:\d+: Policy\/default\/backref: spec\.rule: invalid CEL rule: matches\("\(a\)\\\\1"\): invalid escape sequence/,
      /hint: patterns use RE2 syntax/,
    ]);
  });

  test('a manifest that is not UTF-8 is refused at the bad byte, not altered (#9)', () => {
    const s = sandbox();
    mkdirSync(s.path('m'), { recursive: true });
    writeFileSync(
      s.path('m', 'latin1.yaml'),
      Buffer.concat([
        Buffer.from(file('f', s.path('out', 'f'), 'caf').slice(0, -5)),
        Buffer.from('caf\xe9"\n', 'latin1'),
      ]),
    );
    refused(s, [
      /m\/latin1\.yaml:6:16: the manifest is not valid UTF-8: byte 0xE9/,
      /hint: save the file as UTF-8/,
    ]);
  });

  test('newlines in paths and the root as a path are refused with the field and a hint (#9)', () => {
    const s = sandbox();
    s.write({
      'm/a.yaml': `${file('nl', `"${s.path('out', 'a')}\\nb"`, 'x').replace(/path: "(.*)"/, 'path: "$1"')}---\nkind: Directory\nmetadata:\n  name: root\nspec:\n  path: /\n  mode: "0700"\n`,
    });
    refused(s, [
      /File\/default\/nl: spec\.path: the path contains a newline/,
      /Directory\/default\/root: spec\.path: the path "\/" is the root folder/,
      /hint: a resource cannot manage \/ itself/,
    ]);
  });

  test('a YAML alias bomb is refused quickly, naming the document', () => {
    const s = sandbox();
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    // A `${...}` makes the loader interpolate, which walked all 10^9 expanded values (it hung).
    s.write({
      'm/bomb.yaml': `kind: File\nmetadata:\n  name: f\n  annotations:\n    note: "\${HOME}"\nspec:\n  path: ${s.path('out', 'f')}\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
    });
    refused(s, [
      /m\/bomb\.yaml:1:1: the document expands to 1,234,567,\d{3} values, more than the limit of 1,000,000/,
    ]);
  });
});
