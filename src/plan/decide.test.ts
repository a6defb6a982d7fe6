/**
 * Plan decisions: every branch of decideDesired (create, noop, update,
 * replace, delete for ensure: absent, ignoreChanges) and decideOrphan
 * (prune), as pure functions of the pair.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../diff/index.js';
import { decideDesired, decideOrphan, type DesiredPair } from './decide.js';

function pair(over: Partial<DesiredPair>): DesiredPair {
  return {
    id: 'File/default/motd',
    kind: 'File',
    absent: false,
    exists: true,
    changes: [],
    lifecycle: {},
    dependsOn: ['Directory/default/srv'],
    destructiveIfRemoved: true,
    ...over,
  };
}

const content: Change = { path: 'spec.content', old: 'a', new: 'b', format: 'text' };
const mode: Change = { path: 'spec.mode', old: '0600', new: '0644' };

describe('decideDesired', () => {
  it('creates what does not exist, with the changes from the provider, after its dependencies', () => {
    assert.deepEqual(decideDesired(pair({ exists: false, changes: [content] })), {
      id: 'File/default/motd',
      kind: 'File',
      op: 'create',
      changes: [content],
      destructive: false,
      reason: 'does not exist',
      after: ['Directory/default/srv'],
      pruned: undefined,
    });
  });

  it('creates even when every change is ignored: ignoreChanges applies after creation only', () => {
    const a = decideDesired(
      pair({ exists: false, changes: [mode], lifecycle: { ignoreChanges: ['spec.mode'] } }),
    );
    assert.equal(a.op, 'create');
    assert.deepEqual(a.changes, [mode]);
  });

  it('does nothing when in sync', () => {
    const a = decideDesired(pair({}));
    assert.equal(a.op, 'noop');
    assert.deepEqual(a.changes, []);
    assert.equal(a.destructive, false);
    assert.equal(a.reason, 'in sync');
    assert.deepEqual(a.after, ['Directory/default/srv']);
  });

  it('updates in place, counting the fields that differ', () => {
    const one = decideDesired(pair({ changes: [content] }));
    assert.equal(one.op, 'update');
    assert.deepEqual(one.changes, [content]);
    assert.equal(one.destructive, false, 'an update is never destructive, even for a kind that holds data');
    assert.equal(one.reason, '1 field differs');
    assert.equal(decideDesired(pair({ changes: [content, mode] })).reason, '2 fields differ');
  });

  it('replaces when a change cannot be made in place, naming those fields, destructive as the provider says', () => {
    const path: Change = { path: 'spec.path', old: '/a', new: '/b', forcesReplace: true };
    const kind: Change = { path: 'spec.type', old: 'x', new: 'y', forcesReplace: true };
    const a = decideDesired(pair({ changes: [content, path, kind] }));
    assert.equal(a.op, 'replace');
    assert.deepEqual(a.changes, [content, path, kind]);
    assert.equal(a.destructive, true);
    assert.equal(a.reason, 'cannot change spec.path, spec.type in place');
    assert.equal(decideDesired(pair({ changes: [path], destructiveIfRemoved: false })).destructive, false);
  });

  it('drops ignored changes and updates only what is left', () => {
    const a = decideDesired(pair({ changes: [content, mode], lifecycle: { ignoreChanges: ['spec.mode'] } }));
    assert.equal(a.op, 'update');
    assert.deepEqual(a.changes, [content]);
    assert.equal(a.reason, '1 field differs');
  });

  it('ignores nested paths under an ignored field, but not fields that only share a prefix', () => {
    const nested: Change[] = [
      { path: 'spec.env.HOME', old: '/a', new: '/b' },
      { path: 'spec.env.PATH', old: '/a', new: '/b' },
    ];
    const lookalike: Change = { path: 'spec.environment', old: 'a', new: 'b' };
    const a = decideDesired(
      pair({ changes: [...nested, lookalike], lifecycle: { ignoreChanges: ['spec.env'] } }),
    );
    assert.equal(a.op, 'update');
    assert.deepEqual(a.changes, [lookalike]);
  });

  it('is a noop that counts the ignored changes when every change is ignored', () => {
    const one = decideDesired(pair({ changes: [mode], lifecycle: { ignoreChanges: ['spec.mode'] } }));
    assert.equal(one.op, 'noop');
    assert.deepEqual(one.changes, []);
    assert.equal(one.reason, 'in sync (1 ignored change)');
    const two = decideDesired(
      pair({ changes: [mode, content], lifecycle: { ignoreChanges: ['spec.mode', 'spec.content'] } }),
    );
    assert.equal(two.reason, 'in sync (2 ignored changes)');
  });

  it('does not replace for an ignored change that would force a replacement', () => {
    const path: Change = { path: 'spec.path', old: '/a', new: '/b', forcesReplace: true };
    const a = decideDesired(pair({ changes: [path, content], lifecycle: { ignoreChanges: ['spec.path'] } }));
    assert.equal(a.op, 'update');
    assert.deepEqual(a.changes, [content]);
  });

  it('deletes what is declared absent and exists, destructive as the provider says', () => {
    const a = decideDesired(pair({ absent: true, changes: [content] }));
    assert.equal(a.op, 'delete');
    assert.deepEqual(a.changes, []);
    assert.equal(a.destructive, true);
    assert.equal(a.reason, 'declared with ensure: absent');
    assert.deepEqual(a.after, ['Directory/default/srv']);
    assert.equal(a.pruned, undefined, 'ensure: absent is declared, not a prune');
    assert.equal(decideDesired(pair({ absent: true, destructiveIfRemoved: false })).destructive, false);
  });

  it('does nothing for what is declared absent and is absent', () => {
    const a = decideDesired(pair({ absent: true, exists: false, changes: [content] }));
    assert.equal(a.op, 'noop');
    assert.equal(a.reason, 'absent, as declared');
    assert.deepEqual(a.changes, []);
  });
});

describe('decideOrphan', () => {
  it('deletes an orphan that still exists, after the pruned resources that depended on it', () => {
    assert.deepEqual(
      decideOrphan({
        id: 'Directory/default/srv',
        kind: 'Directory',
        exists: true,
        destructiveIfRemoved: true,
        dependents: ['File/default/motd'],
      }),
      {
        id: 'Directory/default/srv',
        kind: 'Directory',
        op: 'delete',
        changes: [],
        destructive: true,
        reason: 'no longer declared (prune)',
        after: ['File/default/motd'],
        pruned: true,
      },
    );
    assert.equal(
      decideOrphan({ id: 'x', kind: 'File', exists: true, destructiveIfRemoved: false, dependents: [] })
        .destructive,
      false,
    );
  });

  it('does nothing for an orphan that is already gone, and waits for nothing', () => {
    const a = decideOrphan({
      id: 'File/default/motd',
      kind: 'File',
      exists: false,
      destructiveIfRemoved: true,
      dependents: ['File/default/x'],
    });
    assert.equal(a.op, 'noop');
    assert.equal(a.destructive, false);
    assert.equal(a.reason, 'no longer declared and already gone');
    assert.deepEqual(a.after, []);
    assert.equal(a.pruned, true);
  });
});
