import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '../manifest/index.js';
import { WindowsSchema } from '../windows/index.js';
import { NodeWindowGate } from './node-windows.js';

const resource = (labels: Record<string, string>) =>
  ({
    key: { kind: 'File', namespace: 'default', name: 'web' },
    metadata: { labels, annotations: {} },
    lifecycle: {},
  }) as unknown as Resource;

const always = WindowsSchema.parse([
  { name: 'freeze', type: 'deny', schedule: '* * * * *', duration: '1h', match: { labels: { tier: 'web' } } },
]);

test('holds what the server sent, keeps it across a restart, and lets go when the server drops it', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'node-windows-')), 'windows.json');
  const gate = new NodeWindowGate(file);
  const now = new Date();
  assert.equal(gate.check(resource({ tier: 'web' }), now).blocked, false);
  assert.equal(gate.update(always), true);
  assert.equal(gate.update(always), false, 'the same windows again are no change');
  assert.equal(gate.check(resource({ tier: 'web' }), now).blocked, true);
  assert.equal(gate.check(resource({ tier: 'db' }), now).blocked, false);
  const restarted = new NodeWindowGate(file);
  assert.deepEqual(restarted.names, ['freeze']);
  assert.equal(restarted.check(resource({ tier: 'web' }), now).blocked, true);
  assert.equal(restarted.update([]), true);
  assert.equal(restarted.check(resource({ tier: 'web' }), now).blocked, false);
});
