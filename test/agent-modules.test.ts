/**
 * What a real `setpoint agent` process loads: the providers of the kinds in
 * its node's set and no others, and no YAML library (an agent's RSS target
 * is 80 MB; every provider's schemas and the yaml package weigh on it). The
 * agent runs under a module-load hook that lists every module it loads; the
 * CLI's bundle chunks are mapped back to their src/ files through their
 * source maps. A kind that arrives with a later set is loaded then.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { fleetKit } from './fleet-kit.js';
import { BIN } from './helpers.js';

const { root, repo, srv, children, cli, start, until, git, killAll } = fleetKit(
  'setpoint-agent-modules-',
  60_000,
);
const host = join(root, 'hosts', 'n1');
const loaded = join(root, 'modules.txt');
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

/** The src/ files of the bundle chunks loaded, and the packages loaded (by name). */
function modules(): { src: Set<string>; packages: Set<string> } {
  const urls = new Set(readFileSync(loaded, 'utf8').split('\n').filter(Boolean));
  const src = new Set<string>();
  const packages = new Set<string>();
  for (const url of urls) {
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (pkg) packages.add(pkg[1]);
    else if (url.startsWith('file:') && url.includes('/dist/bundle/')) {
      const file = fileURLToPath(url);
      const map = JSON.parse(readFileSync(file + '.map', 'utf8')) as {
        sources: string[];
        sourceRoot?: string;
      };
      for (const s of map.sources)
        src.add(resolve(dirname(file), map.sourceRoot ?? '', s).replace(/^.*?\/src\//, 'src/'));
    }
  }
  return { src, packages };
}

describe('agent: loads the providers of its set only, and no YAML library', () => {
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
    // Lists every module the agent loads (the hooks run beside it; the list is the test's only).
    const hooks = join(root, 'hooks.mjs');
    // Also notes each event-loop delay monitor started (a libuv timer that wakes the process, e.g. every 10 ms).
    writeFileSync(
      join(root, 'register.mjs'),
      `import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import perfHooks from 'node:perf_hooks';
register(${JSON.stringify('file://' + hooks)});
const monitor = perfHooks.monitorEventLoopDelay;
perfHooks.monitorEventLoopDelay = (options) => {
  appendFileSync(${JSON.stringify(monitors)}, JSON.stringify(options ?? {}) + '\\n');
  return monitor(options);
};
`,
    );
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(loaded)}, url + '\\n');
  return next(url, context);
}
`,
    );
    const agent = spawn(
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
      { cwd: srv, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' },
    );
    children.push(agent);
  });

  after(() => killAll());

  it('runs a File set with the File provider alone: no other provider, no registry of all, no yaml package', async () => {
    await until('the motd written by the agent', () => existsSync(join(host, 'motd')));
    const { src, packages } = modules();
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
    const { src } = modules();
    assert.ok(src.has('src/providers/directory/index.ts'), 'the Directory provider is loaded');
    assert.ok(!src.has('src/providers/process/index.ts'));
  });
});
