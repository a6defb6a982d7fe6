import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCel } from './cel.js';
import { compileMessage, splitTemplate } from './message.js';

const ctx = { object: toCel({ metadata: { name: 'motd' }, spec: { mode: '0777', ports: [80, 443] } }) };

describe('policy messages', () => {
  it('split text and ${...} holes, with braces and quotes inside a hole', () => {
    assert.deepEqual(splitTemplate('a ${x} b ${ {"k": "}"}.k } c'), [
      'a ',
      { expression: 'x' },
      ' b ',
      { expression: '{"k": "}"}.k' },
      ' c',
    ]);
    assert.deepEqual(splitTemplate('cost: $${x}'), ['cost: ${x}']);
    assert.deepEqual(splitTemplate('a ${x'), { problem: 'unclosed ${ at character 3' });
  });

  it('render each hole as a CEL expression', () => {
    const m = compileMessage(
      '${object.metadata.name} has mode ${object.spec.mode} and ${size(object.spec.ports)} ports ${object.spec.ports}',
    );
    assert.ok(!('problems' in m));
    assert.equal(m.render(ctx), 'motd has mode 0777 and 2 ports [80,443]');
    assert.equal(m.readsActual, false);
  });

  it('show a hole that fails at evaluation instead of failing', () => {
    const m = compileMessage('owner: ${object.metadata.labels.owner}');
    assert.ok(!('problems' in m));
    assert.equal(m.render(ctx), 'owner: <error: No such key: labels>');
  });

  it('report holes that do not compile, naming them', () => {
    const m = compileMessage('${object.} and ${} and ${actual.mode}');
    assert.ok('problems' in m);
    assert.deepEqual(
      m.problems.map((p) => [p.expression, p.summary]),
      [
        ['object.', 'Expected IDENTIFIER, got EOF'],
        ['', 'empty ${}'],
      ],
    );
  });

  it('know when a hole reads actual', () => {
    const m = compileMessage('mode is ${actual.mode}');
    assert.ok(!('problems' in m));
    assert.equal(m.readsActual, true);
    assert.equal(m.render({ ...ctx, actual: { mode: '0777' } }), 'mode is 0777');
  });
});
