/**
 * Prometheus metrics of a real `setpoint serve` (a Git source, a real file),
 * scraped over HTTP at /metrics: the exposition passes `promtool check
 * metrics`, every seed figure is there, and the figures move as a scenario
 * runs (the commit converges: lead time; a file drifts: drift events, the
 * remediation histogram, auto-remediations). Series whose labels are known
 * exist at 0 from the first scrape; a source that cannot be fetched is
 * counted and alerted on.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, json, startServe, tempDir, type Serving } from './helpers.js';
import { apiUrl, ensurePromtool, promtool, sample, until } from './observability-kit.js';
import { fileDoc, project, type Project } from './serve-kit.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.org',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.org',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: GIT_ENV, stdio: 'pipe' });

/** Every seed figure (M1-M10) and the queue/watch metrics, by name. */
const FAMILIES = [
  'setpoint_revision_convergence_seconds', // M1
  'setpoint_drift_ratio', // M2
  'setpoint_drifted_resources',
  'setpoint_reconciles_total', // M3
  'setpoint_remediation_latency_seconds', // M4
  'setpoint_drift_events_total', // M5
  'setpoint_remediations_total',
  'setpoint_policy_violations_total', // M6
  'setpoint_reconcile_errors_total', // M7
  'process_cpu_seconds_total', // M8, without a prefix as every client library exports it
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'setpoint_alerts_fired_total', // M9
  'setpoint_alert_acknowledgements_total',
  'setpoint_change_lead_time_seconds', // M10
  'setpoint_workqueue_depth',
  'setpoint_workqueue_wait_seconds',
  'setpoint_workqueue_work_seconds',
  'setpoint_workqueue_retries_total',
  'setpoint_watch_overflows_total',
];

before(() => ensurePromtool());

async function scrape(url: string): Promise<string> {
  // A fresh connection each time: CLI calls in between block this process (spawnSync) past the
  // server's keep-alive timeout, and a reused socket the server closed fails ("other side closed").
  const res = await fetch(`${url}/metrics`, { headers: { connection: 'close' } });
  assert.equal(res.status, 200, `GET /metrics answered ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

function checkMetrics(text: string): void {
  const r = promtool(['check', 'metrics'], { input: text });
  assert.equal(r.code, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
}

describe('serve: Prometheus metrics', () => {
  test('pass promtool, cover M1-M10, and move when a commit converges and a file drifts', async (t) => {
    const repo = tempDir('setpoint-metrics-repo-');
    const p = project({}, '');
    const motd = join(p.out, 'motd');
    git(repo, 'init', '-q', '-b', 'main');
    mkdirSync(join(repo, 'manifests'), { recursive: true });
    writeFileSync(
      join(repo, 'manifests', 'motd.yaml'),
      fileDoc('motd', motd, 'hello\n', { labels: { owner: 'team-web' } }),
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'motd');
    p.write({
      'setpoint.yaml': [
        'sources:',
        `  - { name: app, git: { url: ${JSON.stringify(repo)}, ref: main, path: manifests, interval: 1s } }`,
        'reconcile: { resync: 2s, backoff: { base: 50ms, max: 2s } }',
        'server: { listen: "127.0.0.1:0", metrics: public }',
        '',
      ].join('\n'),
    });
    const serve = await startServe(t, p.dir);
    const url = apiUrl(serve.stderr());
    await eventually(
      async () => (await p.record('File/default/motd'))?.sync === 'InSync',
      'the first convergence',
    );

    const first = await until(async () => {
      const text = await scrape(url);
      return sample(text, 'setpoint_change_lead_time_seconds_count') >= 1 ? text : undefined;
    }, 'the commit to converge (lead time observed)');
    checkMetrics(first);
    for (const family of FAMILIES)
      assert.match(first, new RegExp(`^# TYPE ${family} `, 'm'), `${family} is exposed`);
    assert.ok(
      sample(first, 'setpoint_revision_convergence_seconds_count') >= 1,
      'M1: a convergence observed',
    );
    assert.ok(
      sample(first, 'setpoint_reconciles_total', { result: 'applied' }) >= 1,
      'M3: the create counted',
    );
    assert.ok(sample(first, 'process_resident_memory_bytes') > 0, 'M8: memory');
    assert.ok(sample(first, 'setpoint_change_lead_time_seconds_sum') >= 0, 'M10: commit time -> converged');
    assert.equal(sample(first, 'setpoint_build_info'), 1);

    const drifts = sample(first, 'setpoint_drift_events_total', { kind: 'File' });
    const repairs = sample(first, 'setpoint_remediation_latency_seconds_count', { kind: 'File' });
    const autos = sample(first, 'setpoint_remediations_total', { kind: 'File', mode: 'auto' });
    writeFileSync(motd, 'edited by hand\n');
    await eventually(
      async () => p.read(motd) === 'hello\n' && (await p.record('File/default/motd'))?.sync === 'InSync',
      'the drift to be repaired',
    );

    const second = await until(async () => {
      const text = await scrape(url);
      return sample(text, 'setpoint_remediation_latency_seconds_count', { kind: 'File' }) > repairs
        ? text
        : undefined;
    }, 'the remediation histogram to move');
    checkMetrics(second);
    assert.ok(
      sample(second, 'setpoint_drift_events_total', { kind: 'File' }) > drifts,
      'M5: the drift event counted',
    );
    assert.ok(
      sample(second, 'setpoint_remediations_total', { kind: 'File', mode: 'auto' }) > autos,
      'M5: repaired automatically',
    );
    assert.ok(
      sample(second, 'setpoint_drift_detection_latency_seconds_count', { kind: 'File' }) > 0,
      'detection latency observed',
    );
    assert.ok(
      sample(second, 'setpoint_workqueue_adds_total', { trigger: 'event' }) > 0,
      'the watch event queued the key',
    );
    assert.equal(sample(second, 'setpoint_drift_ratio'), 0, 'M2: nothing drifted any more');
    assert.ok(
      sample(second, 'setpoint_actions_total', { kind: 'File', op: 'update', result: 'succeeded' }) >= 1,
      'the repair counted as an action',
    );
  });
});

/** The value of the series with exactly these labels, undefined when it is not exposed (a series at 0 is exposed). */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]);
    if (JSON.stringify(have.sort()) === want) return Number(m[3]);
  }
  return undefined;
}

describe('serve: metric series from the first scrape, source fetch health', () => {
  // One serve for the file: a folder source (a File and an audit Policy) and a Git source that cannot be fetched.
  let p: Project;
  let serving: Serving;
  let url: string;
  before(async () => {
    p = project({}, '');
    p.write({
      'setpoint.yaml': [
        'sources:',
        '  - { name: local, path: manifests }',
        `  - { name: remote, git: { url: ${JSON.stringify(join(p.dir, 'no-such-repo.git'))}, ref: main, interval: 1s } }`,
        'reconcile: { resync: 1h }',
        'server: { metrics: public }',
        'alerts: { evaluationInterval: 200ms }',
        '',
      ].join('\n'),
      'manifests/motd.yaml': fileDoc('motd', join(p.out, 'motd'), 'hello\n'),
      'manifests/policy.yaml': [
        'kind: Policy',
        'metadata: { name: owner-label }',
        'spec:',
        '  match: { kinds: [File] }',
        '  rule: "true"',
        '  message: never',
        '  action: audit',
        '',
      ].join('\n'),
    });
    // Stopped by the suite's `after` below, not at the end of this hook.
    serving = await startServe({ after: () => undefined }, p.dir, ['--listen', '127.0.0.1:0']);
    url = apiUrl(serving.stderr());
  });
  after(() => serving?.stop());

  test('labelled counters of known label values are at 0 before anything happened to them', async () => {
    const text = await scrape(url);
    checkMetrics(text);
    const zero: Array<[string, Record<string, string>]> = [
      ['setpoint_reconciles_total', { result: 'error' }],
      ['setpoint_reconciles_total', { result: 'conflict' }],
      ['setpoint_reconcile_errors_total', { reason: 'SETPOINT_APPLY_FAILED' }],
      ['setpoint_actions_total', { kind: 'File', op: 'delete', result: 'failed' }],
      ['setpoint_remediations_total', { kind: 'File', mode: 'approved' }],
      ['setpoint_drift_events_total', { kind: 'File' }],
      ['setpoint_policy_violations_total', { policy: 'owner-label', action: 'audit' }],
      ['setpoint_revisions_total', { result: 'refused' }],
      ['setpoint_alerts_fired_total', { severity: 'page' }],
      ['setpoint_alert_acknowledgements_total', { severity: 'page', actionable: 'false' }],
      ['setpoint_workqueue_adds_total', { trigger: 'user' }],
      ['setpoint_remediation_latency_seconds_count', { kind: 'File' }],
    ];
    const missing = zero.filter(([name, labels]) => series(text, name, labels) !== 0);
    assert.deepEqual(missing, [], 'series at 0 from the first scrape');
    assert.equal(sample(text, 'setpoint_approvals_pending'), 0);
    assert.match(text, /^setpoint_approvals_pending 0$/m, 'the pending-approvals gauge is exposed');
    assert.equal(series(text, 'setpoint_source_fetch_interval_seconds', { source: 'remote' }), 1);
    assert.notEqual(
      series(text, 'setpoint_source_fetch_failures_total', { source: 'remote' }),
      undefined,
      'the failure counter of the Git source exists from the start',
    );
    assert.equal(
      series(text, 'setpoint_source_last_success_timestamp_seconds', { source: 'remote' }),
      0,
      'never fetched successfully',
    );
  });

  test('a Git source that cannot be fetched counts failures and raises SourceStale after 3 intervals', async () => {
    await until(async () => {
      const n = series(await scrape(url), 'setpoint_source_fetch_failures_total', { source: 'remote' });
      return n !== undefined && n >= 2;
    }, 'the fetch failures of source remote to be counted');
    const alert = await eventually(
      () =>
        json<Array<{ rule: string; state: string; labels: Record<string, string> }>>(
          p.ok(['alerts', '--json']),
        ).find((a) => a.rule === 'SourceStale' && a.labels.source === 'remote' && a.state === 'firing'),
      'the SourceStale alert to fire',
    );
    assert.equal(alert.labels.severity, 'ticket');
    const text = await scrape(url);
    assert.equal(
      series(text, 'setpoint_source_last_success_timestamp_seconds', { source: 'remote' }),
      0,
      'still no successful fetch',
    );
    assert.ok(sample(text, 'setpoint_alerts_fired_total', { severity: 'ticket' }) >= 1);
  });
});
