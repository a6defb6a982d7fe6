import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { Action } from '../plan/index.js';
import { createContext } from '../provider/context.js';
import type { Provider } from '../provider/types.js';
import { SecretResolver } from '../secrets/index.js';
import type { Observation } from './observe.js';
import { performAction } from './perform.js';

/** An observe-only kind whose target comes right after `failures` looks (a server still starting). */
function probe(failures: number): { provider: Provider<object, string>; looks: () => number } {
  let looks = 0;
  const provider: Provider<object, string> = {
    kind: 'Probe',
    description: 'test probe',
    schema: z.object({}),
    observe: () => Promise.resolve(++looks > failures ? 'up' : 'down'),
    diff: (_desired, actual) => (actual === 'up' ? [] : [{ path: 'status', from: actual, to: 'up' }]),
  };
  return { provider, looks: () => looks };
}

function observation(provider: Provider<object, string>, dependsOn: string[]): Observation {
  const resource = {
    id: 'Probe/default/p',
    key: { kind: 'Probe', namespace: 'default', name: 'p' },
    metadata: { name: 'p', namespace: 'default', labels: {}, annotations: {} },
    spec: {},
    dependsOn,
    lifecycle: {},
    origin: { file: '/tmp/m.yaml', line: 1, column: 1, index: 0 },
    digest: '',
  } as unknown as Observation['resource'];
  const ctx = createContext({
    resource,
    sourceRoot: '/tmp',
    secrets: new SecretResolver({ env: {} }),
    onEvent: () => undefined,
  });
  return {
    resource,
    provider: provider,
    ctx,
    desired: {},
    actual: 'down',
    exists: true,
    absent: false,
    renderedDigest: '',
    desiredDigest: '',
  };
}

const action = (op: Action['op']): Action => ({
  id: 'Probe/default/p',
  kind: 'Probe',
  op,
  changes: [],
  destructive: false,
  reason: '',
  after: [],
});

describe('performAction on an observe-only kind', () => {
  it('looks again after its dependencies acted, and is in sync once the target comes right', async () => {
    const { provider, looks } = probe(3);
    const done = await performAction(observation(provider, ['Process/default/web']), action('update'));
    assert.equal(done.actual, 'up');
    assert.match(done.message, /in sync after its dependencies acted/);
    assert.equal(looks(), 4);
  });

  it('fails at once, without looking again, when it depends on nothing', async () => {
    const { provider, looks } = probe(0);
    await assert.rejects(performAction(observation(provider, []), action('update')), {
      code: 'SETPOINT_OBSERVE_ONLY',
    });
    assert.equal(looks(), 0);
  });

  it('forgets it on a prune: there is nothing to delete', async () => {
    const { provider } = probe(0);
    const done = await performAction(observation(provider, []), action('delete'));
    assert.equal(done.actual, undefined);
    assert.match(done.message, /forgotten/);
  });
});
