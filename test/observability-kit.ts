/**
 * Building blocks of the observability tests (test/observability-*.test.ts):
 * promtool (Debian package `prometheus`: `check metrics`, `check rules`,
 * `test rules`), installed by `ensurePromtool()` in a `before` hook when
 * missing (.ci/run installs it up front); a reader of Prometheus text; an
 * async poll; and a real HTTP receiver on loopback that records what is
 * POSTed to it (alert webhooks, OTLP/HTTP exports).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

function found(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Makes sure promtool runs here; throws with what was tried when it cannot. */
export function ensurePromtool(): void {
  if (found()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
      env,
      stdio: 'pipe',
      timeout: 600_000,
    });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update'], { env, stdio: 'pipe', timeout: 600_000 });
    install();
  }
  if (!found()) throw new Error('promtool is still missing after `apt-get install prometheus`');
}

export interface PromtoolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `args`, feeding `input` on stdin. */
export function promtool(args: string[], options: { input?: string; cwd?: string } = {}): PromtoolResult {
  const r = spawnSync('promtool', args, {
    input: options.input,
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Sum of the samples of `name` (exact family and suffix) whose labels include `labels`, in Prometheus text. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** Polls the async `probe` until it returns something other than undefined/false; throws after `timeoutMs`, naming `what`. */
export async function until<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = `returned ${String(v)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One request a receiver got. */
export interface Delivery {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON (undefined when the body is not JSON). */
  json: unknown;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
}

/** A real HTTP server on 127.0.0.1 that answers 200 and keeps every request; closed after the test. */
export async function startReceiver(t: Pick<TestContext, 'after'>): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      deliveries.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, json });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries };
}

/** The API address `setpoint serve` printed on stderr. */
export function apiUrl(stderr: string): string {
  const url = /API on (http:\/\/\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`serve did not print its API address:\n${stderr}`);
  return url;
}
