import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCel, formatCel, isProblem, toCel } from './cel.js';

describe('CEL', () => {
  it('turns whole numbers into ints (BigInt), keeps doubles, drops undefined fields', () => {
    assert.deepEqual(toCel({ a: 1, b: 1.5, c: undefined, d: [2, 'x', null], e: { f: 0 } }), {
      a: 1n,
      b: 1.5,
      d: [2n, 'x', null],
      e: { f: 0n },
    });
  });

  it('so integer arithmetic on manifest numbers works', () => {
    const p = compileCel('object.spec.replicas * 2 == 6');
    assert.ok(!isProblem(p));
    assert.equal(p.run({ object: toCel({ spec: { replicas: 3 } }) }), true);
    assert.throws(() => p.run({ object: { spec: { replicas: 3 } } }), /no such overload/);
  });

  it('knows whether an expression reads actual', () => {
    const a = compileCel("actual.mode != '0777' && object.kind == 'File'");
    const b = compileCel("object.spec.mode != '0777'");
    assert.ok(!isProblem(a) && !isProblem(b));
    assert.equal(a.readsActual, true);
    assert.equal(b.readsActual, false);
    assert.equal(a.type, 'bool');
  });

  it('reports a syntax error as a summary and the caret lines', () => {
    const p = compileCel('object.spec.mode ==');
    assert.ok(isProblem(p));
    assert.equal(p.summary, 'Unexpected token: EOF');
    assert.match(p.detail ?? '', /object\.spec\.mode ==\n\s+\^/);
  });

  it('reports type errors and unknown variables', () => {
    const t = compileCel("1 + 'a'");
    assert.ok(isProblem(t));
    assert.match(t.summary, /no such overload: int \+ string/);
    const v = compileCel('obj.spec.mode == "x"');
    assert.ok(isProblem(v));
    assert.match(v.summary, /Unknown variable: obj/);
  });

  it('formats values for messages', () => {
    assert.equal(formatCel('x'), 'x');
    assert.equal(formatCel(3n), '3');
    assert.equal(formatCel(true), 'true');
    assert.equal(formatCel(null), 'null');
    assert.equal(formatCel([1n, 'a']), '[1,"a"]');
    assert.equal(formatCel(new Uint8Array(3)), '<3 bytes>');
  });
});
