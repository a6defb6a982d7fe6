#!/usr/bin/env node
// `npm run bench:web`: the web dashboard against a real `setpoint serve` with N managed files.
//  1. Bundle: bytes of index.html and the assets it loads, raw and gzipped (what a first visit costs).
//  2. First render of each view in chromium (navigation start -> the view shows the N resources, the
//     critical resources' convergence and the leader panel; the debug view its diff and reconcile spans),
//     and the API reads behind them.
//  3. Scrolling the list of all N resources: frame times while it scrolls from top to bottom.
//  4. CPU of serve at rest with 20 dashboard tabs open (live watch streams) vs none.
// Results: bench/WEB.md. usage: node bench/web.mjs [N]   (needs `npm run build` and /usr/bin/chromium)
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { format } from 'prettier';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const N = Number(process.argv[2] ?? 10000);
const work = '/tmp/spweb';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
];

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function cpuPercent(pid, seconds) {
  const a = cpuSeconds(pid);
  await sleep(seconds * 1000);
  return ((cpuSeconds(pid) - a) / seconds) * 100;
}

// 1. Bundle.
const webDir = join(root, 'dist', 'web');
const index = readFileSync(join(webDir, 'index.html'), 'utf8');
const loaded = ['index.html', ...[...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1])];
const bundle = loaded.map((f) => {
  const body = readFileSync(join(webDir, f));
  return { file: f, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
});
const total = bundle.reduce((s, b) => ({ raw: s.raw + b.raw, gzip: s.gzip + b.gzip }), { raw: 0, gzip: 0 });

// A project with N files.
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'manifests'), { recursive: true });
mkdirSync(join(work, 'out'), { recursive: true });
writeFileSync(
  join(work, 'setpoint.yaml'),
  'reconcile: { resync: 1h, workers: 8, actionsPerSecond: 100000, burst: 100000 }\n',
);
const docs = [];
for (let i = 0; i < N; i++)
  docs.push(
    `kind: File\nmetadata: { name: f${i}, namespace: ns${i % 20} }\nspec:\n  path: ${work}/out/f${i}\n  content: "file ${i}\\n"\n  mode: "0644"\n${
      // One in 100 is critical: the on-call view's convergence panel lists them.
      i % 100 === 7 ? 'lifecycle: { priority: critical }\n' : ''
    }`,
  );
writeFileSync(join(work, 'manifests', 'files.yaml'), docs.join('---\n'));
const newToken = (name) =>
  execFileSync(process.execPath, [bin, 'token', 'create', '--name', name, '--role', 'admin'], {
    cwd: work,
    encoding: 'utf8',
  }).trim();
const token = newToken('bench');
// A token may hold 16 watch streams (the server's limit): the 20 tabs sign in with two tokens.
const secondToken = newToken('bench-2');

const serve = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], {
  cwd: work,
  stdio: ['ignore', 'ignore', 'pipe'],
});
// Never leave serve behind, whatever fails.
process.on('exit', () => serve.kill('SIGKILL'));
let stderr = '';
serve.stderr.on('data', (d) => (stderr += d));
let url;
for (let i = 0; i < 600 && !url; i++) {
  url = /API on (http:\/\/[\d.:]+)/.exec(stderr)?.[1];
  await sleep(100);
}
if (!url) throw new Error(`serve did not start:\n${stderr}`);
const get = async (path) =>
  (await fetch(url + path, { headers: { authorization: `Bearer ${token}` } })).json();
let exited;
serve.on('exit', (code, signal) => (exited = { code, signal }));
for (let i = 0; ; i++) {
  if (exited) throw new Error(`serve exited (${JSON.stringify(exited)}):\n${stderr}`);
  // A busy serve may drop a connection while it applies N files: ask again.
  const s = await get('/api/v1/status').catch(() => undefined);
  if (s?.convergence.revisions[0]?.convergedAt) break;
  if (i > 1200) throw new Error('serve did not converge in 2 minutes');
  await sleep(100);
}

// The reads behind the on-call and debug panels, timed from here (median of 5).
const reads = [];
for (const path of [
  '/api/v1/resources',
  '/api/v1/status',
  '/api/v1/convergence/critical',
  '/api/v1/resources/File/ns7/f7/spans?limit=20',
  '/api/v1/resources/File/ns7/f7/fate',
]) {
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await get(path);
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  reads.push({ path, ms: runs[2] });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
async function signedInPage(as = token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url + '/');
  await page.getByLabel('API token').fill(as);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor({ timeout: 60_000 });
  return { context, page };
}

// 2. First render: a reload of each view (the token comes from session storage), three runs, the median.
const views = [
  [
    'on-call',
    '/oncall',
    async (p) => {
      await p
        .getByTestId('resource-count')
        .filter({ hasText: String(N) })
        .waitFor();
      await p.getByTestId('critical').locator('tbody tr').first().waitFor();
      await p.getByTestId('role-of-replica').waitFor();
    },
  ],
  [
    'executive',
    '/executive',
    async (p) => {
      await p.locator('.chart canvas').waitFor();
      await p
        .getByTestId('exec-resources')
        .filter({ hasText: String(N) })
        .waitFor();
    },
  ],
  [
    'debug',
    '/r/File/ns7/f7',
    async (p) => {
      await p.getByRole('table', { name: 'Field diff' }).or(p.getByText('No difference')).waitFor();
      await p.getByRole('table', { name: 'Reconcile spans' }).getByText('applied').first().waitFor();
    },
  ],
];
const { context, page } = await signedInPage();
const renders = [];
for (const [name, path, ready] of views) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(url + path);
    await ready(page);
    runs.push(await page.evaluate(() => performance.now()));
  }
  runs.sort((a, b) => a - b);
  renders.push({ name, ms: runs[1] });
}

// 3. Scrolling the list of all N resources, top to bottom in 120 frames.
await page.goto(url + '/oncall');
await page
  .getByTestId('resource-count')
  .filter({ hasText: String(N) })
  .waitFor();
const frames = await page.evaluate(async () => {
  const lists = document.querySelectorAll('.vbody');
  const el = lists[lists.length - 1];
  const times = [];
  let last = performance.now();
  for (let i = 1; i <= 120; i++) {
    el.scrollTop = (el.scrollHeight * i) / 120;
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  const rows = el.querySelectorAll('.vrow').length;
  times.sort((a, b) => a - b);
  return { p50: times[59], p95: times[113], max: times[119], rows };
});
await context.close();

// 4. CPU of serve at rest: none open, then 20 tabs with live streams.
await sleep(2000);
const idle = await cpuPercent(serve.pid, 10);
const tabs = [];
for (let i = 0; i < 20; i++) tabs.push(await signedInPage(i % 2 ? secondToken : token));
await sleep(3000);
const withTabs = await cpuPercent(serve.pid, 10);
for (const t of tabs) await t.context.close();
await browser.close();
serve.kill('SIGTERM');
await new Promise((r) => serve.on('close', r));
rmSync(work, { recursive: true, force: true });

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const out = `# Web dashboard benchmark

Measured ${new Date().toISOString()} with \`npm run bench:web\` on ${execFileSync('nproc').toString().trim()} cores, Node ${process.version}, chromium (headless, Debian) against \`setpoint serve\` with ${N} managed files. Load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (the machine is shared: figures vary with it).

## Bundle (first visit: index.html and the assets it loads)

| file | raw | gzipped |
| ---- | --: | ------: |
${bundle.map((b) => `| ${b.file} | ${kb(b.raw)} | ${kb(b.gzip)} |`).join('\n')}
| **total** | ${kb(total.raw)} | **${kb(total.gzip)}** (target ≤ 300 kB) |

## First render with ${N} resources (navigation start -> the view shows its data; median of 3)

| view | ms |
| ---- | -: |
${renders.map((r) => `| ${r.name} | ${r.ms.toFixed(0)} |`).join('\n')}

Target ≤ 1000 ms per view. On-call waits for the list, the convergence of the ${N / 100} critical resources and the leader panel; debug for the diff and the reconcile spans.

## API reads behind the views (median of 5, from the bench process)

| read | ms |
| ---- | -: |
${reads.map((r) => `| \`GET ${r.path}\` | ${r.ms.toFixed(0)} |`).join('\n')}

## Scrolling the list of all ${N} resources (virtualised: ${frames.rows} rows in the DOM)

| frame time | ms |
| ---------- | -: |
| p50 | ${frames.p50.toFixed(1)} |
| p95 | ${frames.p95.toFixed(1)} |
| max | ${frames.max.toFixed(1)} |

## CPU of serve at rest (10 s each)

| | % of one core |
| - | -: |
| no dashboard open | ${idle.toFixed(2)} |
| 20 dashboard tabs open (20 live watch streams, two tokens) | ${withTabs.toFixed(2)} |
| added by the 20 tabs | ${(withTabs - idle).toFixed(2)} (target ≤ 5) |
`;
// Formatted as the repository's format check expects.
writeFileSync(join(root, 'bench', 'WEB.md'), await format(out, { parser: 'markdown' }));
process.stdout.write(out);
