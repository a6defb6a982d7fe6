/** The key codecs on their own: each edit changes only the bytes of its key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../../../provider/errors.js';
import { envCodec, parseValue } from './env.js';
import { iniCodec } from './ini.js';
import { jsonCodec } from './json.js';
import { tomlCodec } from './toml.js';
import { yamlCodec } from './yaml.js';

describe('YAML codec', () => {
  const cases: Array<[string, string, string[], unknown, string]> = [
    ['an empty value', 'a:\nb: 2\n', ['a'], 1, 'a: 1\nb: 2\n'],
    [
      'a key under an empty parent',
      'server:\nb: 2\n',
      ['server', 'port'],
      9090,
      'server:\n  port: 9090\nb: 2\n',
    ],
    ['an empty file', '', ['x', 'y'], 1, 'x:\n  y: 1\n'],
    ['a file without a final newline', 'a: 1', ['b'], 2, 'a: 1\nb: 2\n'],
    ['a list item', 'list:\n  - a\n  - b\n', ['list', '1'], 'z', 'list:\n  - a\n  - z\n'],
    ['a block scalar', 'm:\n  k: |\n    l1\n    l2\nz: 1\n', ['m', 'k'], 'one', 'm:\n  k: one\nz: 1\n'],
    ['a string that needs quotes', 'a: 1\n', ['a'], 'yes: no', 'a: "yes: no"\n'],
  ];
  for (const [name, text, path, value, want] of cases)
    it(`sets ${name}`, () => {
      const out = yamlCodec.set(text, path, value);
      assert.equal(out, want);
      assert.deepEqual(yamlCodec.get(out, path), { value });
    });

  it('refuses a key under a scalar, naming spec.key', () =>
    assert.throws(
      () => yamlCodec.set('a: 1\n', ['a', 'b'], 2),
      (e: unknown) => e instanceof ProviderError && e.field === 'spec.key',
    ));
});

describe('JSON codec', () => {
  it('fills an empty object, and reads nothing from an empty file', () => {
    assert.equal(jsonCodec.set('{}', ['a'], 1), '{"a": 1}');
    assert.equal(jsonCodec.get('', ['a']), undefined);
    assert.equal(jsonCodec.set('', ['a', 'b'], true), '{\n  "a": {\n    "b": true\n  }\n}\n');
  });

  it('indexes lists by digit segments', () => {
    assert.deepEqual(jsonCodec.get('{"l": [1, {"x": 2}]}', ['l', '1', 'x']), { value: 2 });
    assert.equal(jsonCodec.set('{"l": [1, 2]}', ['l', '0'], 5), '{"l": [5, 2]}');
  });
});

describe('INI codec', () => {
  it('adds a key before any section at the top', () =>
    assert.equal(iniCodec.set('[s]\na=1\n', ['top'], 'x'), 'top=x\n[s]\na=1\n'));

  it('keeps a section header comment and matches names exactly', () => {
    const text = '[db] ; main\nhostname = a\nhost = b\n';
    assert.deepEqual(iniCodec.get(text, ['db', 'host']), { value: 'b' });
    assert.equal(iniCodec.set(text, ['db', 'host'], 'c'), '[db] ; main\nhostname = a\nhost = c\n');
  });
});

describe('env codec', () => {
  it('reads quoted values and drops trailing comments', () => {
    assert.equal(parseValue('"a \\"b\\" c"'), 'a "b" c');
    assert.equal(parseValue("'single $x'"), 'single $x');
    assert.equal(parseValue('plain # note'), 'plain');
    assert.deepEqual(envCodec.get('export A="x y"\n', ['A']), { value: 'x y' });
  });
});

describe('TOML codec', () => {
  it('reads integers as numbers and adds a table', () => {
    assert.deepEqual(tomlCodec.get('[a]\nn = 5\n', ['a', 'n']), { value: 5 });
    const out = tomlCodec.set('[a]\nn = 5\n', ['b', 'm'], 'x');
    assert.deepEqual(tomlCodec.get(out, ['b', 'm']), { value: 'x' });
    assert.ok(out.startsWith('[a]\nn = 5\n'));
  });
});
