/** The built-in rules as pure functions of a state snapshot. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApprovalRecord, ResourceRecord, RevisionRecord } from '../../../store/index.js';
import { alertSettings } from '../schema.js';
import type { NodeSeen, RuleInput } from '../types.js';
import { BUILTIN_RULES } from './index.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const settings = alertSettings({ defaultOwner: 'platform' });
const config = (rule: keyof typeof settings.rules) => settings.rules[rule];

function record(name: string, o: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    id: `File/default/${name}`,
    kind: 'File',
    namespace: 'default',
    name,
    source: 'local',
    labels: {},
    spec: {},
    lifecycle: {},
    dependsOn: [],
    desiredDigest: 'd',
    managed: true,
    declared: true,
    sync: 'InSync',
    health: 'Healthy',
    conditions: [],
    attempts: 0,
    updatedAt: iso(0),
    ...o,
  };
}

function input(o: Partial<RuleInput>): RuleInput {
  return {
    now: T0,
    settings,
    defaultRemediation: 'auto',
    resources: [],
    pendingApprovals: [],
    revisions: [],
    violations: new Map(),
    slos: [],
    sources: [],
    nodes: [],
    nodeBehindAfterMs: 600_000,
    ...o,
  };
}

describe('built-in rules', () => {
  it('ReconcileFailing: Failed resources; page when critical; unlabelled ones belong to the default owner', () => {
    const out = BUILTIN_RULES.ReconcileFailing(
      input({
        resources: [
          record('a', { sync: 'Failed', lastError: 'disk full', lifecycle: { priority: 'critical' } }),
          record('b', { sync: 'Failed', labels: { owner: 'team-web' } }),
          record('c'),
        ],
      }),
      config('ReconcileFailing'),
    );
    assert.deepEqual(
      out.map((c) => [c.labels.resource, c.severity, c.labels.owner, c.forMs]),
      [
        ['File/default/a', 'page', 'platform', 300_000],
        ['File/default/b', 'ticket', 'team-web', 300_000],
      ],
    );
    assert.match(out[0].annotations.summary, /disk full/);
  });

  it('ConvergenceSlow: an unconverged revision past the threshold, one alert per owner, leaving out what waits on purpose', () => {
    const rev: RevisionRecord = {
      id: 'r1',
      digest: 'x',
      source: 'local',
      createdAt: iso(-120),
      resourceCount: 4,
      origin: 'o',
      admitted: true,
    };
    const resources = [
      record('a', { sync: 'Pending', labels: { owner: 'team-web' } }),
      record('b', { sync: 'Failed', labels: { owner: 'team-db' } }),
      record('c', { sync: 'Blocked', blockedUntil: iso(600), labels: { owner: 'team-db' } }),
      record('d', { sync: 'Pending', approvalId: 'ab12cd34', labels: { owner: 'team-db' } }),
      record('e', { sync: 'Drifted', lifecycle: { remediation: 'alert' }, labels: { owner: 'team-db' } }),
    ];
    const out = BUILTIN_RULES.ConvergenceSlow(
      input({ resources, revisions: [rev], convergenceThresholdMs: 60_000 }),
      config('ConvergenceSlow'),
    );
    assert.deepEqual(
      out.map((c) => [c.labels.owner, c.labels.revision]),
      [
        ['team-web', 'r1'],
        ['team-db', 'r1'],
      ],
    );
    assert.match(
      out[1].annotations.summary,
      /^revision r1 has not converged after 2m0s \(objective 1m0s\): 1 resource of team-db not in sync$/,
    );
    assert.deepEqual(
      BUILTIN_RULES.ConvergenceSlow(
        input({ resources, revisions: [rev], convergenceThresholdMs: 600_000 }),
        config('ConvergenceSlow'),
      ),
      [],
      'within its objective',
    );
    assert.deepEqual(
      BUILTIN_RULES.ConvergenceSlow(
        input({ resources, revisions: [{ ...rev, convergedAt: iso(-1) }] }),
        config('ConvergenceSlow'),
      ),
      [],
      'converged',
    );
  });

  it('DriftDetected: only resources whose effective remediation is alert', () => {
    const resources = [
      record('a', { sync: 'Drifted', lifecycle: { remediation: 'alert' } }),
      record('b', { sync: 'Drifted' }),
    ];
    assert.deepEqual(
      BUILTIN_RULES.DriftDetected(input({ resources }), config('DriftDetected')).map(
        (c) => c.labels.resource,
      ),
      ['File/default/a'],
    );
    assert.equal(
      BUILTIN_RULES.DriftDetected(input({ resources, defaultRemediation: 'alert' }), config('DriftDetected'))
        .length,
      2,
      'the project default applies',
    );
  });

  it('ResourceConflict: resources the thrash guard stopped', () => {
    const out = BUILTIN_RULES.ResourceConflict(
      input({
        resources: [
          record('a', {
            sync: 'Conflict',
            conditions: [
              {
                type: 'Synced',
                status: 'False',
                reason: 'Conflict',
                message: 'repaired 5 times in 10m; spec.content keeps flipping',
                since: iso(0),
              },
            ],
          }),
        ],
      }),
      config('ResourceConflict'),
    );
    assert.match(out[0].annotations.summary, /spec\.content keeps flipping/);
  });

  it('ApprovalPending: approvals older than `after`, owned by their resource', () => {
    const approval = (id: string, ageS: number): ApprovalRecord => ({
      id,
      resourceId: 'File/default/a',
      op: 'delete',
      reason: 'pruned',
      destructive: true,
      changes: [],
      desiredDigest: 'd',
      changeDigest: 'c',
      state: 'pending',
      createdAt: iso(-ageS),
    });
    const out = BUILTIN_RULES.ApprovalPending(
      input({
        resources: [record('a', { labels: { owner: 'team-web' } })],
        pendingApprovals: [approval('old00001', 7200), approval('new00002', 60)],
      }),
      config('ApprovalPending'),
    );
    assert.deepEqual(
      out.map((c) => [c.labels.approval, c.labels.owner]),
      [['old00001', 'team-web']],
    );
  });

  it('SourceStale: a polled source without a successful fetch for 3 intervals, counted from the start when it never had one', () => {
    const minute = 60_000;
    const out = BUILTIN_RULES.SourceStale(
      input({
        sources: [
          {
            source: 'fresh',
            intervalMs: minute,
            since: T0 - 10 * minute,
            lastSuccessAt: T0 - 2 * minute,
            failuresInARow: 1,
          },
          {
            source: 'stale',
            intervalMs: minute,
            since: T0 - 10 * minute,
            lastSuccessAt: T0 - 4 * minute,
            failuresInARow: 4,
            lastError: 'could not read from remote',
          },
          { source: 'never', intervalMs: minute, since: T0 - 3 * minute, failuresInARow: 3 },
          { source: 'young', intervalMs: minute, since: T0 - 2 * minute, failuresInARow: 2 },
          { source: 'folder', since: T0 - 60 * minute, failuresInARow: 0 },
        ],
      }),
      config('SourceStale'),
    );
    assert.deepEqual(
      out.map((c) => [c.labels.source, c.severity, c.labels.owner]),
      [
        ['stale', 'ticket', 'platform'],
        ['never', 'ticket', 'platform'],
      ],
    );
    assert.match(out[0].annotations.description ?? '', /4 failed fetches .*could not read from remote/);
    assert.match(out[1].annotations.description ?? '', /since serve started/);
  });
  it('TargetBehind: goals behind their target, to the spec owner, else the owner label; never DriftDetected', () => {
    const goal = (name: string, o: Partial<ResourceRecord>) =>
      record(name, { id: `Target/default/${name}`, kind: 'Target', sync: 'Drifted', ...o });
    const resources = [
      goal('signups', {
        spec: { owner: 'team-growth' },
        health: 'Degraded',
        healthMessage: 'BehindTarget: 420 needs >= 500 (gap 80); no trend yet',
        lifecycle: { remediation: 'alert' },
      }),
      goal('latency', {
        labels: { owner: 'team-web' },
        health: 'Degraded',
        healthMessage: 'BehindTarget: 350 ms needs <= 300 ms',
      }),
      goal('met', { sync: 'InSync', health: 'Healthy', healthMessage: 'MeetsTarget: 10 meets >= 5' }),
    ];
    const out = BUILTIN_RULES.TargetBehind(input({ resources }), config('TargetBehind'));
    assert.deepEqual(
      out.map((c) => [c.labels.resource, c.labels.owner, c.severity]),
      [
        ['Target/default/signups', 'team-growth', 'ticket'],
        ['Target/default/latency', 'team-web', 'ticket'],
      ],
    );
    assert.equal(
      out[0].annotations.summary,
      'Target/default/signups is behind its target: 420 needs >= 500 (gap 80); no trend yet',
    );
    assert.deepEqual(BUILTIN_RULES.DriftDetected(input({ resources }), config('DriftDetected')), []);
  });

  it('NodeOffline and NodeBehind: one alert per node, to its owner; behind waits fleet.behindAfter; offline is not also behind', () => {
    const nodes: NodeSeen[] = [
      { name: 'web-1', labels: { owner: 'team-web' }, lastSeenAt: iso(-1800), behind: true, offline: true },
      {
        name: 'web-2',
        labels: {},
        lastSeenAt: iso(-10),
        appliedRevision: 'r1',
        behind: true,
        offline: false,
      },
      {
        name: 'web-3',
        labels: {},
        lastSeenAt: iso(-10),
        appliedRevision: 'r2',
        behind: false,
        offline: false,
      },
    ];
    const offline = BUILTIN_RULES.NodeOffline(input({ nodes }), config('NodeOffline'));
    assert.deepEqual(
      offline.map((c) => [c.labels.node, c.labels.owner, c.severity, c.forMs]),
      [['web-1', 'team-web', 'ticket', 0]],
    );
    assert.match(offline[0].annotations.summary, /web-1 is offline \(last heard from 30m0s ago\)/);
    const behind = BUILTIN_RULES.NodeBehind(
      input({ nodes, nodeBehindAfterMs: 120_000 }),
      config('NodeBehind'),
    );
    assert.deepEqual(
      behind.map((c) => [c.labels.node, c.labels.owner, c.severity, c.forMs]),
      [['web-2', 'platform', 'ticket', 120_000]],
    );
    assert.match(behind[0].annotations.summary, /revision r1/);
    const tuned = alertSettings({ rules: { NodeBehind: { for: '1h', severity: 'page' } } }).rules.NodeBehind;
    assert.deepEqual(
      BUILTIN_RULES.NodeBehind(input({ nodes }), tuned).map((c) => [c.severity, c.forMs]),
      [['page', 3_600_000]],
    );
  });
});
