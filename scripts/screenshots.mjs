#!/usr/bin/env node
// `npm run screenshots`: regenerates docs/images/dashboard-*.png, the web
// dashboard's three views (and the on-call view on a phone, dark) over a
// small demo project run by a real `setpoint serve`. Needs `npm run build`
// and chromium (/usr/bin/chromium, or SETPOINT_CHROMIUM).
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const images = join(root, 'docs', 'images');
const dir = mkdtempSync(join(tmpdir(), 'setpoint-shots-'));
const out = join(dir, 'out');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const edit = (path, content) => {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
};

function file(ns, name, content, lifecycle) {
  return [
    'kind: File',
    `metadata: { name: ${name}, namespace: ${ns}, labels: { owner: team-${ns} } }`,
    'spec:',
    `  path: ${join(out, ns, name)}`,
    `  content: ${JSON.stringify(content)}`,
    '  mode: "0644"',
    ...(lifecycle ? [`lifecycle: ${lifecycle}`] : []),
  ].join('\n');
}

const files = [];
// Critical ones: the on-call view shows their convergence p95/p99 (three of them drift below).
const critical = new Set(['web/conf-1', 'web/conf-2', 'db/conf-5', 'ops/conf-1']);
for (const ns of ['web', 'db', 'ops'])
  for (let i = 1; i <= 8; i++)
    files.push(
      file(
        ns,
        `conf-${i}`,
        `${ns} setting ${i}\n`,
        critical.has(`${ns}/conf-${i}`) ? '{ priority: critical }' : undefined,
      ),
    );
files.push(file('web', 'banner', 'welcome\n', '{ remediation: alert }'));
const doomed = file('ops', 'legacy-cron', '0 3 * * * cleanup\n', '{ prune: true }');
for (const ns of ['web', 'db', 'ops']) mkdirSync(join(out, ns), { recursive: true });
mkdirSync(join(dir, 'manifests'));
writeFileSync(
  join(dir, 'setpoint.yaml'),
  [
    'reconcile: { resync: 5s }',
    'alerts: { evaluationInterval: 200ms }',
    'slos:',
    '  - { name: convergence-fast, sli: convergence, objective: 95, threshold: 60s }',
    '  - { name: reconciles, sli: reconcile-success, objective: 99 }',
    '',
  ].join('\n'),
);
cpSync(join(root, 'examples', 'policies', 'no-world-writable.yaml'), join(dir, 'manifests', 'policies.yaml'));
const manifest = (extra) =>
  writeFileSync(join(dir, 'manifests', 'files.yaml'), [...files, ...extra].join('\n---\n') + '\n');
manifest([doomed]);

const token = execFileSync(process.execPath, [bin, 'token', 'create', '--name', 'alice', '--role', 'admin'], {
  cwd: dir,
  encoding: 'utf8',
}).trim();
const serve = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], {
  cwd: dir,
  stdio: ['ignore', 'ignore', 'pipe'],
});
process.on('exit', () => {
  serve.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
let stderr = '';
serve.stderr.on('data', (d) => (stderr += d));
let url;
for (let i = 0; i < 300 && !url; i++) {
  url = /API on (http:\/\/[\d.:]+)/.exec(stderr)?.[1];
  await sleep(100);
}
if (!url) throw new Error(`serve did not start:\n${stderr}`);
const get = async (path) =>
  (await fetch(url + path, { headers: { authorization: `Bearer ${token}` } })).json();
const until = async (probe, what) => {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
};
await until(async () => (await get('/api/v1/status')).convergence.revisions[0]?.convergedAt, 'convergence');

// Some history: hand edits repaired at once, a chmod caught by a policy, drift left alone, a delete to approve.
for (const [ns, i] of [
  ['web', 2],
  ['db', 5],
  ['ops', 1],
]) {
  edit(join(out, ns, `conf-${i}`), 'edited by hand\n');
  await sleep(300);
}
chmodSync(join(out, 'db', 'conf-3'), 0o666);
edit(join(out, 'web', 'banner'), 'defaced\n');
await sleep(500);
manifest([]);
await until(async () => (await get('/api/v1/approvals')).items.length > 0, 'a pending approval');
await until(
  async () =>
    (await get('/api/v1/convergence/critical')).items.filter((c) => c.convergenceMs.count > 0).length === 3,
  'the critical drifts repaired',
);
await until(async () => (await get('/api/v1/alerts')).items.length > 0, 'an alert');

const browser = await chromium.launch({
  executablePath: process.env.SETPOINT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
async function shoot(name, path, { width = 1280, height = 900, dark = false, ready } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    colorScheme: dark ? 'dark' : 'light',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  await page.goto(url + '/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
  await page.goto(url + path);
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
  if (ready) await ready(page);
  await sleep(1200);
  await page.screenshot({ path: join(images, `dashboard-${name}.png`), fullPage: true });
  await context.close();
  console.log(`docs/images/dashboard-${name}.png`);
}
mkdirSync(images, { recursive: true });
await shoot('oncall', '/oncall', {
  ready: (p) => p.getByTestId('critical').getByText('web/conf-2').waitFor(),
});
await shoot('executive', '/executive', { ready: (p) => p.locator('.chart canvas').waitFor() });
await shoot('debug', '/r/File/web/banner', {
  ready: async (p) => {
    await p.getByRole('table', { name: 'Field diff' }).waitFor();
    await p.getByRole('table', { name: 'Reconcile spans' }).waitFor();
  },
});
await shoot('oncall-phone-dark', '/oncall', { width: 390, height: 844, dark: true });
await browser.close();
// serve's pipes would keep this process alive: stop it (the exit hook cleans up).
process.exit(0);
