/** Plan summaries: counting actions by operation, and whether a plan changes anything. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasChanges, OP_GLYPH, summarize, type Action, type Op } from './types.js';

const action = (op: Op, id = `File/default/${op}`): Action => ({
  id,
  kind: 'File',
  op,
  changes: [],
  destructive: false,
  reason: '',
  after: [],
});

describe('summarize', () => {
  it('counts every operation, zero for those absent', () => {
    assert.deepEqual(summarize([]), { create: 0, update: 0, replace: 0, delete: 0, noop: 0 });
    assert.deepEqual(
      summarize([
        action('create'),
        action('create', 'File/default/b'),
        action('update'),
        action('delete'),
        action('noop'),
        action('noop', 'x'),
        action('noop', 'y'),
      ]),
      {
        create: 2,
        update: 1,
        replace: 0,
        delete: 1,
        noop: 3,
      },
    );
  });
});

describe('hasChanges', () => {
  it('is false for a plan of noops only', () => {
    assert.equal(hasChanges({ summary: summarize([action('noop'), action('noop')]) }), false);
    assert.equal(hasChanges({ summary: summarize([]) }), false);
  });

  it('is true as soon as one action is not a noop', () => {
    for (const op of ['create', 'update', 'replace', 'delete'] as const) {
      assert.equal(hasChanges({ summary: summarize([action('noop'), action(op)]) }), true, op);
    }
  });
});

describe('OP_GLYPH', () => {
  it('gives each operation its glyph', () => {
    assert.deepEqual(OP_GLYPH, { noop: ' ', create: '+', update: '~', replace: '±', delete: '-' });
  });
});
