/** Runtime audit against real files: the PolicyCompliant condition and its transitions, recorded once each. */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import type { Condition } from '../../health/index.js';
import type { Violation } from '../../policy/index.js';
import { defaultRegistry } from '../../providers/index.js';
import { SecretResolver } from '../../secrets/index.js';
import type { ResourceRecord } from '../../store/index.js';
import { loadDesired } from '../../desired/desired.js';
import { observeOne } from '../observe.js';
import { declaredRecord } from '../records.js';
import { DesiredIndex } from './desired-index.js';
import {
  auditRuntime,
  policyConditionChanged,
  POLICY_CONDITION,
  withPolicyCondition,
} from './runtime-policy.js';

const registry = defaultRegistry();
const runtimePolicy = `kind: Policy
metadata: { name: disk-mode }
spec:
  match: { kinds: [File] }
  rule: "actual.mode != '0777'"
  message: "\${actual.path} is world-writable (\${actual.mode})"
  action: warn
---
`;

function setup(withPolicy = true) {
  const dir = tempDir('setpoint-runtime-policy-');
  const target = join(dir, 'motd');
  writeFileSync(target, 'hi\n', { mode: 0o644 });
  chmodSync(target, 0o644);
  const manifests = join(dir, 'manifests');
  writeFileSync(
    join(dir, 'm.yaml'),
    `${withPolicy ? runtimePolicy : ''}kind: File\nmetadata: { name: motd }\nspec: { path: ${target}, content: "hi\\n", mode: "0644" }\n`,
  );
  const desired = loadDesired({ paths: [join(dir, 'm.yaml')], catalog: registry, projectRoot: dir });
  assert.deepEqual(desired.diagnostics.items, []);
  const index = new DesiredIndex(
    {
      id: 'rev1',
      digest: 'd',
      source: 'local',
      createdAt: '',
      resourceCount: 1,
      origin: manifests,
      admitted: true,
    },
    desired,
  );
  const resource = desired.resources[0];
  const events: Array<[string, string, string]> = [];
  const recorded: Array<{ violations: Violation[]; revision: string }> = [];
  const sink = {
    event: (type: string, reason: string, message: string) => void events.push([type, reason, message]),
    onViolations: (violations: Violation[], revision: string) => void recorded.push({ violations, revision }),
  };
  let conditions: Condition[] = [];
  const reconcile = async () => {
    const obs = await observeOne(resource, {
      registry,
      secrets: new SecretResolver(),
      sourceRootOf: () => dir,
      onEvent: () => undefined,
      parallelism: 1,
    });
    const record: ResourceRecord = declaredRecord(
      resource,
      obs.desiredDigest,
      'local',
      undefined,
      new Date().toISOString(),
    );
    record.conditions = conditions;
    auditRuntime(index, obs, record, new Date().toISOString(), sink);
    conditions = record.conditions;
    return conditions.find((c) => c.type === POLICY_CONDITION);
  };
  return {
    target,
    reconcile,
    events,
    recorded,
    index,
    setConditions: (c: Condition[]) => void (conditions = c),
  };
}

describe('runtime audit', () => {
  it('sets PolicyCompliant from the observed state and records each transition once', async () => {
    const s = setup();
    const compliant = await s.reconcile();
    assert.deepEqual([compliant?.status, compliant?.reason], ['True', 'Compliant']);
    assert.deepEqual(s.events, [], 'complying from the start is no transition worth an event');

    chmodSync(s.target, 0o777);
    const violated = await s.reconcile();
    assert.deepEqual([violated?.status, violated?.reason], ['False', 'PolicyViolation']);
    assert.equal(violated?.message, `disk-mode (warn): ${s.target} is world-writable (0777)`);
    assert.deepEqual(s.events, [
      ['Warning', 'PolicyViolation', `policy disk-mode (warn): ${s.target} is world-writable (0777)`],
    ]);
    assert.deepEqual(
      s.recorded.map((r) => [r.revision, r.violations.map((v) => [v.policy, v.phase, v.resourceId])]),
      [['rev1', [['disk-mode', 'runtime', 'File/default/motd']]]],
    );

    // Seen again (a resync): the same state, no new event or record.
    await s.reconcile();
    assert.equal(s.events.length, 1);
    assert.equal(s.recorded.length, 1);

    chmodSync(s.target, 0o644);
    const repaired = await s.reconcile();
    assert.equal(repaired?.status, 'True');
    assert.deepEqual(s.events[1], [
      'Normal',
      'PolicyCompliant',
      'the observed state complies with the runtime policies again',
    ]);
    assert.equal(s.recorded.length, 1);
  });

  it('does nothing without runtime policies, and drops the condition when the policy goes', async () => {
    const s = setup(false);
    assert.equal(await s.reconcile(), undefined);
    assert.deepEqual(s.events, []);
    // Violating under a policy the new revision no longer has: the condition goes, as a transition back.
    const before: Condition[] = [
      { type: POLICY_CONDITION, status: 'False', reason: 'PolicyViolation', message: 'x', since: 't' },
    ];
    s.setConditions(before);
    assert.equal(await s.reconcile(), undefined);
    assert.deepEqual(s.events, [
      ['Normal', 'PolicyCompliant', 'the observed state complies with the runtime policies again'],
    ]);
    assert.equal(policyConditionChanged(before, []), true);
    assert.equal(policyConditionChanged(before, [...before]), false);
  });

  it('keeps the policy condition when a record keeps older conditions', () => {
    const older: Condition[] = [
      { type: 'Synced', status: 'False', reason: 'Conflict', message: 'm', since: 't' },
    ];
    const fresh: Condition[] = [
      { type: POLICY_CONDITION, status: 'False', reason: 'PolicyViolation', message: 'p', since: 'u' },
    ];
    assert.deepEqual(withPolicyCondition(older, fresh), [...older, ...fresh]);
    assert.deepEqual(withPolicyCondition([...older, ...fresh], []), older);
  });
});
