/**
 * Prometheus metrics of a real `setpoint serve` (a Git source, a real file),
 * scraped over HTTP at /metrics: the exposition passes `promtool check
 * metrics`, every seed figure is there, and the figures move as a scenario
 * runs (the commit converges: lead time; a file drifts: drift events, the
 * remediation histogram, auto-remediations).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { eventually, startServe, tempDir } from './helpers.js';
import { apiUrl, ensurePromtool, promtool, sample, until } from './observability-kit.js';
import { fileDoc, project } from './serve-kit.js';

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
  'setpoint_process_cpu_seconds_total', // M8
  'setpoint_process_resident_memory_bytes',
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
  const res = await fetch(`${url}/metrics`);
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
    await eventually(() => p.record('File/default/motd')?.sync === 'InSync', 'the first convergence');

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
    assert.ok(sample(first, 'setpoint_process_resident_memory_bytes') > 0, 'M8: memory');
    assert.ok(sample(first, 'setpoint_change_lead_time_seconds_sum') >= 0, 'M10: commit time -> converged');
    assert.equal(sample(first, 'setpoint_build_info'), 1);

    const drifts = sample(first, 'setpoint_drift_events_total', { kind: 'File' });
    const repairs = sample(first, 'setpoint_remediation_latency_seconds_count', { kind: 'File' });
    const autos = sample(first, 'setpoint_remediations_total', { kind: 'File', mode: 'auto' });
    writeFileSync(motd, 'edited by hand\n');
    await eventually(
      () => p.read(motd) === 'hello\n' && p.record('File/default/motd')?.sync === 'InSync',
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
