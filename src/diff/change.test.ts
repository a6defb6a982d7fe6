/** Changes: scalar comparison of declared fields, and dropping changes under ignored paths. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareScalars, withoutIgnored, type Change } from './change.js';

describe('compareScalars', () => {
  it('reports each declared field whose actual value differs, with old and new', () => {
    assert.deepEqual(
      compareScalars(
        'spec.',
        { mode: '0644', owner: 'root', group: 'web' },
        { mode: '0600', owner: 'root', group: 'www' },
        ['mode', 'owner', 'group'],
      ),
      [
        { path: 'spec.mode', old: '0600', new: '0644' },
        { path: 'spec.group', old: 'www', new: 'web' },
      ],
    );
  });

  it('skips fields the desired side leaves unset, and fields not listed', () => {
    assert.deepEqual(
      compareScalars(
        'spec.',
        { mode: undefined, owner: 'root', extra: 'x' },
        { mode: '0600', owner: 'root', extra: 'y' },
        ['mode', 'owner'],
      ),
      [],
    );
  });

  it('reports every declared field as new when there is no actual side', () => {
    assert.deepEqual(compareScalars('spec.', { mode: '0755', owner: 0 }, undefined, ['mode', 'owner']), [
      { path: 'spec.mode', old: undefined, new: '0755' },
      { path: 'spec.owner', old: undefined, new: 0 },
    ]);
  });

  it('compares strictly: a uid 0 is not the name "0"', () => {
    assert.deepEqual(compareScalars('', { owner: 0 }, { owner: '0' }, ['owner']), [
      { path: 'owner', old: '0', new: 0 },
    ]);
  });
});

describe('withoutIgnored', () => {
  const changes: Change[] = [
    { path: 'spec.mode', old: '0600', new: '0644' },
    { path: 'spec.env.HOME', old: '/a', new: '/b' },
    { path: 'spec.environment', old: 'a', new: 'b' },
    { path: 'metadata.labels.tier', old: 'a', new: 'b' },
  ];

  it('returns the same list when nothing is ignored', () => {
    assert.equal(withoutIgnored(changes, undefined), changes);
    assert.equal(withoutIgnored(changes, []), changes);
  });

  it('drops changes at an ignored path and below it, not at paths that only share a prefix', () => {
    assert.deepEqual(
      withoutIgnored(changes, ['spec.mode', 'spec.env', 'metadata.labels']).map((c) => c.path),
      ['spec.environment'],
    );
    assert.deepEqual(
      withoutIgnored(changes, ['spec.env.HOME']).map((c) => c.path),
      ['spec.mode', 'spec.environment', 'metadata.labels.tier'],
    );
    assert.deepEqual(
      withoutIgnored(changes, ['spec']).map((c) => c.path),
      ['metadata.labels.tier'],
    );
  });
});
