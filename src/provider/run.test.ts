import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunScope } from './run.js';

describe('RunScope', () => {
  it('makes a memo once per key until it is forgotten', () => {
    const scope = new RunScope();
    let made = 0;
    const make = () => ++made;
    assert.equal(scope.memo('q', make), 1);
    assert.equal(scope.memo('q', make), 1);
    scope.forget('q');
    assert.equal(scope.memo('q', make), 2);
  });

  it('lists the announced actions of one kind and the changed ids among a list', () => {
    const scope = new RunScope();
    const action = (id: string, kind: string) => ({
      id,
      kind,
      op: 'create' as const,
      desired: {},
      actual: undefined,
      after: [],
    });
    scope.announce([action('Package/default/a', 'Package'), action('File/default/b', 'File')]);
    assert.deepEqual(
      scope.plannedOf('Package').map((a) => a.id),
      ['Package/default/a'],
    );
    scope.markChanged('File/default/b');
    assert.deepEqual(scope.changedAmong(['File/default/b', 'File/default/c']), ['File/default/b']);
  });
});
