/**
 * What a real `setpoint agent` process loads: the providers of the kinds in
 * its node's set and no others, and no YAML library (an agent's RSS target
 * is 80 MB; every provider's schemas and the yaml package weigh on it). The
 * agent runs with V8's coverage on: a file outside the CLI bundle counts
 * when any of its code ran; a module inside it when its lazy initialiser
 * ran (esbuild wraps each module reached by a dynamic import in a function
 * named after its source path, called on first import). A kind that arrives
 * with a later set is loaded then.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fleetKit } from './fleet-kit.js';
import { BIN } from './helpers.js';

const { root, repo, srv, children, cli, start, until, git, killAll } = fleetKit(
  'setpoint-agent-modules-',
  60_000,
);
const host = join(root, 'hosts', 'n1');
const coverage = join(root, 'coverage');
const monitors = join(root, 'event-loop-monitors.txt');

function commit(withDirectory: boolean): void {
  const file = `kind: File
metadata:
  name: motd
spec:
  path: "${host}/motd"
  content: "v1\\n"
nodeSelector:
  matchLabels: { env: prod }
`;
  const directory = `---
kind: Directory
metadata:
  name: cache
spec:
  path: "${host}/cache"
nodeSelector:
  matchLabels: { env: prod }
`;
  writeFileSync(join(repo, 'node.yaml'), file + (withDirectory ? directory : ''));
  git('add', '-A');
  git('commit', '-qm', withDirectory ? 'directory' : 'file');
}

interface ScriptCoverage {
  url: string;
  functions: Array<{ functionName: string; ranges: Array<{ count: number }> }>;
}

/** The coverage reports the agent has written so far, parsed (a report still being written is skipped). */
function reports(): ScriptCoverage[][] {
  const parsed: ScriptCoverage[][] = [];
  for (const f of readdirSync(coverage).filter((f) => f.endsWith('.json')))
    try {
      parsed.push(
        (JSON.parse(readFileSync(join(coverage, f), 'utf8')) as { result: ScriptCoverage[] }).result,
      );
    } catch {
      return [];
    }
  return parsed;
}

/**
 * The src/ modules and the packages the agent has loaded so far: it writes a
 * coverage report on SIGUSR2 (each report counts from the last one, so all
 * are read).
 */
async function modules(agent: ChildProcess): Promise<{ src: Set<string>; packages: Set<string> }> {
  const before = reports().length;
  agent.kill('SIGUSR2');
  const all = await until('the agent to write its coverage', () => {
    const r = reports();
    return r.length > before ? r : undefined;
  });
  const src = new Set<string>();
  const packages = new Set<string>();
  for (const script of all.flat()) {
    const ran = script.functions.filter((f) => f.ranges[0]?.count > 0);
    if (ran.length === 0) continue;
    for (const f of ran)
      if (/^src\/.+\.ts$/.test(f.functionName)) src.add(f.functionName);
      else if (/^node_modules\//.test(f.functionName)) packages.add(packageOf(f.functionName)!);
    const external = packageOf(script.url);
    if (external) packages.add(external);
  }
  return { src, packages };
}

function packageOf(path: string): string | undefined {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
}

describe('agent: loads the providers of its set only, and no YAML library', () => {
  let agent: ChildProcess;
  before(async () => {
    mkdirSync(repo, { recursive: true });
    mkdirSync(srv, { recursive: true });
    mkdirSync(host, { recursive: true });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    commit(false);
    writeFileSync(
      join(srv, 'setpoint.yaml'),
      `sources:\n  - name: main\n    git: { url: "${repo}", ref: main, interval: 1s }\n`,
    );
    const serve = start(['serve', '--listen', '127.0.0.1:0']);
    const url = await until('serve to listen', () => /API on (http:\/\/\S+) /.exec(serve.output())?.[1]);
    const token = cli(['nodes', 'enroll-token', '--ttl', '10m', '--labels', 'env=prod']);
    assert.equal(token.status, 0, token.stderr);
    // Writes a coverage report on SIGUSR2 (modules(), above), and notes each event-loop
    // delay monitor started (a libuv timer that wakes the process, e.g. every 10 ms).
    writeFileSync(
      join(root, 'register.mjs'),
      `import { appendFileSync } from 'node:fs';
import perfHooks from 'node:perf_hooks';
import { takeCoverage } from 'node:v8';
process.on('SIGUSR2', () => takeCoverage());
const monitor = perfHooks.monitorEventLoopDelay;
perfHooks.monitorEventLoopDelay = (options) => {
  appendFileSync(${JSON.stringify(monitors)}, JSON.stringify(options ?? {}) + '\\n');
  return monitor(options);
};
`,
    );
    mkdirSync(coverage);
    agent = spawn(
      process.execPath,
      [
        '--import',
        'file://' + join(root, 'register.mjs'),
        BIN,
        'agent',
        '--server',
        url,
        '--enroll-token',
        token.stdout.trim(),
        '--name',
        'n1',
        '--state',
        join(root, 'agent'),
      ],
      { cwd: srv, env: { ...process.env, NO_COLOR: '1', NODE_V8_COVERAGE: coverage }, stdio: 'ignore' },
    );
    children.push(agent);
  });

  after(() => killAll());

  it('runs a File set with the File provider alone: no other provider, no registry of all, no yaml package', async () => {
    await until('the motd written by the agent', () => existsSync(join(host, 'motd')));
    const { src, packages } = await modules(agent);
    assert.ok(src.has('src/fleet/agent.ts'), 'the module list names the agent code');
    assert.ok(src.has('src/providers/file/index.ts'), 'the File provider is loaded');
    for (const unused of [
      'src/providers/index.ts',
      'src/providers/directory/index.ts',
      'src/providers/process/index.ts',
      'src/providers/http-check/index.ts',
      'src/providers/postgres/role.ts',
      'src/providers/file-edit/index.ts',
      'src/providers/target/index.ts',
    ])
      assert.ok(!src.has(unused), `${unused} is not loaded`);
    assert.ok(packages.has('better-sqlite3'), 'the module list names packages');
    assert.ok(!packages.has('yaml'), 'the yaml package is not loaded');
    assert.ok(!packages.has('pg'), 'pg is not loaded');
  });

  it('starts no event-loop delay monitor: it serves no /metrics, and an idle agent must not wake 100 times a second', () => {
    assert.ok(existsSync(join(host, 'motd')), 'the agent runs');
    assert.equal(existsSync(monitors) ? readFileSync(monitors, 'utf8') : '', '');
  });

  it('loads the provider of a kind that a later set brings', async () => {
    commit(true);
    await until('the directory made by the agent', () => existsSync(join(host, 'cache')));
    const { src } = await modules(agent);
    assert.ok(src.has('src/providers/directory/index.ts'), 'the Directory provider is loaded');
    assert.ok(!src.has('src/providers/process/index.ts'));
  });
});
