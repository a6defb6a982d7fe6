import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from './errors.js';
import { depthOver, parseJsonObject } from './json-body.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const refused = (s: Uint8Array, message: RegExp) =>
  assert.throws(
    () => parseJsonObject(s),
    (err: unknown) => err instanceof HttpError && err.status === 400 && message.test(err.message),
  );

describe('JSON request bodies', () => {
  it('accepts an object, and an empty body as the empty object', () => {
    assert.deepEqual(parseJsonObject(bytes('{"a":[1,{"b":2}]}')), { a: [1, { b: 2 }] });
    assert.deepEqual(parseJsonObject(bytes('  ')), {});
  });

  it('refuses what is not a JSON object, invalid UTF-8 and deep nesting, saying which', () => {
    refused(bytes('[1]'), /must be a JSON object, not an array/);
    refused(bytes('null'), /not null/);
    refused(bytes('"x"'), /not a string/);
    refused(bytes('{"a":'), /is not JSON/);
    refused(Uint8Array.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/);
    refused(bytes('{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'), /nested deeper than 64 levels/);
  });

  it('measures depth without recursion', () => {
    assert.equal(depthOver({ a: { b: {} } }, 3), false);
    assert.equal(depthOver({ a: { b: { c: {} } } }, 3), true);
    assert.equal(depthOver([[], [[]]], 3), false);
  });
});
