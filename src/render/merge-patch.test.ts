import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePatch, type FieldPath } from './merge-patch.js';

describe('mergePatch', () => {
  // RFC 7386, Appendix A: every example, verbatim.
  const rfc: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  rfc.forEach(([target, patch, result], i) => {
    it(`follows RFC 7386 example ${i + 1}: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(mergePatch(target, patch), result);
    });
  });

  it('merges mappings deeply, deletes with null and replaces lists whole', () => {
    const base = { spec: { path: '/a', mode: '0644', args: ['a', 'b', 'c'], env: { A: '1', B: '2' } } };
    const out = mergePatch(base, { spec: { mode: null, args: ['z'], env: { B: '3', C: '4' } } });
    assert.deepEqual(out, { spec: { path: '/a', args: ['z'], env: { A: '1', B: '3', C: '4' } } });
  });

  it('keeps nulls inside a replacing list (they are values there, not deletions)', () => {
    assert.deepEqual(mergePatch({ a: [1] }, { a: [null, { b: null }] }), { a: [null, { b: null }] });
  });

  it('modifies neither input and shares what it did not touch', () => {
    const untouched = { deep: { x: 1 } };
    const base = { spec: { a: 1 }, other: untouched };
    const patch = { spec: { a: 2, b: { c: null, d: 1 } } };
    const baseCopy = structuredClone(base);
    const patchCopy = structuredClone(patch);
    const out = mergePatch(base, patch) as typeof base;
    assert.deepEqual(base, baseCopy);
    assert.deepEqual(patch, patchCopy);
    assert.equal(out.other, untouched);
    assert.deepEqual(out.spec, { a: 2, b: { d: 1 } });
  });

  it('tells which paths now come from the patch and which were deleted', () => {
    const calls: Array<[FieldPath, string]> = [];
    mergePatch(
      { spec: { mode: '0644', content: 'x', env: { A: '1' } } },
      { spec: { mode: null, owner: null, content: 'y', env: { B: '2' }, new: { deep: 1 }, args: ['a'] } },
      (path, op) => calls.push([path, op]),
    );
    assert.deepEqual(calls, [
      [['spec', 'mode'], 'delete'],
      [['spec', 'content'], 'set'],
      [['spec', 'env', 'B'], 'set'],
      [['spec', 'new'], 'set'],
      [['spec', 'args'], 'set'],
    ]);
  });

  it('treats a key named __proto__ as a key', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const out = mergePatch({}, patch) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
