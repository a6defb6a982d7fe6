import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostWindows, windowsForNode } from './node-scope.js';
import { WindowsSchema, type WindowSpec } from './schema.js';

const windows: WindowSpec[] = WindowsSchema.parse([
  { name: 'host-freeze', type: 'deny', schedule: '0 18 * * 5', duration: '62h' },
  {
    name: 'prod-maintenance',
    type: 'allow',
    schedule: '0 2 * * 6',
    duration: '2h',
    nodeSelector: { matchLabels: { env: 'prod' } },
  },
  {
    name: 'linux-only',
    type: 'deny',
    schedule: '0 0 1 1 *',
    duration: '1d',
    nodeSelector: { matchExpressions: [{ key: 'facts.os.family', operator: 'In', values: ['linux'] }] },
  },
  { name: 'every-node', type: 'deny', schedule: '0 0 25 12 *', duration: '1d', nodeSelector: {} },
]);

test('the server host keeps the windows without a nodeSelector', () => {
  assert.deepEqual(
    hostWindows(windows).map((w) => w.name),
    ['host-freeze'],
  );
});

test('a node gets the windows that select it, without their selector', () => {
  const prod = windowsForNode(windows, { env: 'prod', 'facts.os.family': 'linux' });
  assert.deepEqual(
    prod.map((w) => w.name),
    ['prod-maintenance', 'linux-only', 'every-node'],
  );
  assert.ok(prod.every((w) => w.nodeSelector === undefined));
  assert.deepEqual(
    windowsForNode(windows, { env: 'staging' }).map((w) => w.name),
    ['every-node'],
  );
});

test('the schema refuses a malformed nodeSelector on a window', () => {
  const r = WindowsSchema.safeParse([
    {
      name: 'bad',
      type: 'deny',
      schedule: '0 0 * * *',
      duration: '1h',
      nodeSelector: { matchExpressions: [{ key: 'env', operator: 'In' }] },
    },
  ]);
  assert.equal(r.success, false);
});
