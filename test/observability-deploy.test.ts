/**
 * The files shipped for users' own stacks (deploy/): Prometheus rules pass
 * `promtool check rules` and their own `promtool test rules`; the Grafana
 * dashboards (executive, on-call, debug) parse, carry the seed's panels, use
 * valid PromQL, and every metric name they (and the rules) use is one that
 * src/telemetry/metrics.ts exposes. Rules and dashboards work per instance;
 * every alert has a runbook page under docs/runbooks/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Metrics } from '../src/telemetry/metrics.js';
import { ROOT, tempDir } from './helpers.js';
import { ensurePromtool, promtool } from './observability-kit.js';

const PROM = join(ROOT, 'deploy', 'prometheus');
const RUNBOOKS = join(ROOT, 'docs', 'runbooks');
const GRAFANA = join(ROOT, 'deploy', 'grafana');

interface Panel {
  title: string;
  type: string;
  targets: Array<{ expr: string; refId: string }>;
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string }> };
}

/** Every series name the metrics module exposes (histograms with their _bucket/_sum/_count). */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await new Metrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** The names of setpoint's own series an expression uses: setpoint_*, process_*, nodejs_* (not recording rules, level:name:op). */
function usedNames(expr: string): string[] {
  return [...expr.matchAll(/(?<![:\w])(?:setpoint|process|nodejs)_[a-zA-Z0-9_]+/g)].map((m) => m[0]);
}

function dashboards(): Array<{ file: string; d: Dashboard }> {
  return readdirSync(GRAFANA)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, d: JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard }));
}

before(() => ensurePromtool());

describe('deploy/prometheus', () => {
  it('the rules pass promtool check rules', () => {
    const r = promtool(['check', 'rules', join(PROM, 'setpoint-rules.yml')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  });

  it('the burn-rate and drift alerts behave as their unit tests say (promtool test rules)', () => {
    const r = promtool(['test', 'rules', 'setpoint-rules.test.yml'], { cwd: PROM });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('every alert has a runbook_url to its own page under docs/runbooks/, which exists', () => {
    const rules = readFileSync(join(PROM, 'setpoint-rules.yml'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)\n((?: {8,}.*\n?)*)/g)];
    assert.ok(alerts.length >= 12, `${alerts.length} alerts`);
    const problems = alerts
      .filter(
        ([, name, body]) => !new RegExp(`runbook_url: https://\\S+/docs/runbooks/${name}\\.md\\n`).test(body),
      )
      .map(([, name]) => `${name}: no runbook_url to docs/runbooks/${name}.md`);
    for (const [, name] of alerts)
      if (!existsSync(join(RUNBOOKS, `${name}.md`)))
        problems.push(`${name}: docs/runbooks/${name}.md is missing`);
      else if (!readFileSync(join(RUNBOOKS, `${name}.md`), 'utf8').startsWith(`# ${name}\n`))
        problems.push(`${name}: its runbook is not titled after it`);
    assert.deepEqual(problems, []);
  });

  it('aggregate per instance: every sum, ratio and quantile of the recording rules keeps instance and job', () => {
    const rules = readFileSync(join(PROM, 'setpoint-rules.yml'), 'utf8');
    const exprs = [...rules.matchAll(/- record: (\S+)\n\s+expr: (.*)/g)];
    assert.ok(exprs.length >= 10);
    for (const [, name, expr] of exprs) {
      assert.match(name, /^instance:/, `${name} is named after its aggregation level`);
      for (const by of expr.matchAll(/\b(?:sum|max|min|count|avg)\b(?: by \(([^)]*)\))?/g))
        assert.ok(
          by[1]?.includes('instance') && by[1].includes('job'),
          `${name}: ${by[0]} keeps instance and job`,
        );
    }
    assert.match(rules, /expr: up\{job="setpoint"\} == 0/, 'liveness is up');
  });
  it('name only metrics that setpoint exposes', async () => {
    const names = await exposedNames();
    const text = readFileSync(join(PROM, 'setpoint-rules.yml'), 'utf8');
    const unknown = [...new Set(usedNames(text))].filter((n) => !names.has(n));
    assert.deepEqual(unknown, []);
  });
});

describe('deploy/grafana', () => {
  it('has the executive, on-call and debug dashboards, each with panels and queries', () => {
    const all = dashboards();
    assert.deepEqual(
      all.map((x) => x.file),
      ['setpoint-debug.json', 'setpoint-executive.json', 'setpoint-oncall.json'],
    );
    for (const { file, d } of all) {
      assert.match(d.uid, /^setpoint-/, file);
      assert.ok(d.panels.length >= 8, `${file} has ${d.panels.length} panels`);
      for (const p of d.panels)
        assert.ok(
          p.targets.length > 0 && p.targets.every((t) => t.expr.trim() !== ''),
          `${file}: panel "${p.title}" has a query`,
        );
    }
  });

  it('every panel expression names existing setpoint_* metrics', async () => {
    const names = await exposedNames();
    const problems: string[] = [];
    for (const { file, d } of dashboards())
      for (const p of d.panels)
        for (const t of p.targets) {
          const used = usedNames(t.expr);
          if (used.length === 0 && !/\bup\{/.test(t.expr))
            problems.push(`${file}: "${p.title}" uses no metric of setpoint`);
          for (const n of used) if (!names.has(n)) problems.push(`${file}: "${p.title}" uses unknown ${n}`);
        }
    assert.deepEqual(problems, []);
  });

  it('carries the panels the seed lists', () => {
    const titles = dashboards().flatMap(({ d }) => d.panels.map((p) => p.title.toLowerCase()));
    for (const wanted of [
      'convergence',
      'drift ratio',
      'reconcile success',
      'remediation latency',
      'auto-remediation',
      'policy violations',
      'errors by reason',
      'cpu',
      'memory',
      'alert noise',
      'lead time',
      'queue',
    ])
      assert.ok(
        titles.some((t) => t.includes(wanted)),
        `a panel about ${wanted}`,
      );
  });

  it('the panel queries are valid PromQL (checked by promtool as recording rules)', () => {
    const lines = ['groups:', '  - name: dashboards', '    rules:'];
    let i = 0;
    for (const { d } of dashboards())
      for (const p of d.panels)
        for (const t of p.targets) {
          const expr = t.expr
            .replaceAll('$__range', '1h')
            .replaceAll('$__rate_interval', '5m')
            .replaceAll('$job', '.*')
            .replaceAll('$instance', '.*');
          lines.push(`      - record: dashboard:expr:${i++}`, `        expr: ${JSON.stringify(expr)}`);
        }
    const file = join(tempDir(), 'dashboards.yml');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = promtool(['check', 'rules', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('select job and instance, draw time series per instance, and rate over $__rate_interval', () => {
    for (const { file, d } of dashboards()) {
      const vars = d.templating.list.map((v) => v.name);
      assert.ok(vars.includes('job') && vars.includes('instance'), `${file}: variables ${vars.join(', ')}`);
      for (const p of d.panels)
        for (const t of p.targets) {
          assert.match(t.expr, /instance=~"\$instance"/, `${file}: "${p.title}" filters by $instance`);
          assert.doesNotMatch(t.expr, /\[(1m|5m)\]/, `${file}: "${p.title}" uses $__rate_interval`);
          if (p.type === 'timeseries')
            for (const agg of t.expr.matchAll(/\b(?:sum|max|min|count)\b(?: by \(([^)]*)\))?/g))
              assert.ok(agg[1]?.includes('instance'), `${file}: "${p.title}": ${agg[0]} keeps instance`);
        }
    }
  });

  it('are what scripts/grafana-dashboards.mjs generates (no hand edits lost)', () => {
    const dir = tempDir();
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'grafana-dashboards.mjs'), dir]);
    for (const { file } of dashboards())
      assert.equal(readFileSync(join(dir, file), 'utf8'), readFileSync(join(GRAFANA, file), 'utf8'), file);
  });
});
