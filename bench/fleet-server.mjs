// What the fleet benches share: /proc readers, and a `serve --listen` on a
// free port over a Git source of one File for every node labelled
// fleet=bench, with an enrolment token for that label.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const bin = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bin', 'setpoint.js');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HZ = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / HZ;
}

/** CPU use (% of one core) of `pid` over `ms`. */
export async function cpuOver(pid, ms) {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(ms);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

/**
 * Starts the server in a fresh `work` folder. `commit(v)` commits the File
 * with content `v` (v1 is committed first); `nodeArgs` go before the CLI
 * (e.g. --cpu-prof); `gitInterval` is the source's poll interval.
 */
export async function startFleetServer({ work, gitInterval, nodeArgs = [] }) {
  rmSync(work, { recursive: true, force: true });
  const repo = join(work, 'repo');
  const srv = join(work, 'server');
  mkdirSync(repo, { recursive: true });
  mkdirSync(srv, { recursive: true });
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  const commit = (v) => {
    writeFileSync(
      join(repo, 'motd.yaml'),
      `kind: File\nmetadata: { name: motd }\nspec:\n  path: "${work}/hosts/\${facts.node.name}/motd"\n  content: "${v}\\n"\nnodeSelector:\n  matchLabels: { fleet: bench }\n`,
    );
    git('add', '-A');
    git('commit', '-qm', v);
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'bench');
  commit('v1');
  writeFileSync(
    join(srv, 'setpoint.yaml'),
    `sources:\n  - name: main\n    git: { url: "${repo}", ref: main, interval: ${gitInterval} }\n`,
  );
  const cli = (...args) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: srv, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`setpoint ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const server = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--listen', '127.0.0.1:0'], {
    cwd: srv,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverErr = '';
  server.stderr.setEncoding('utf8').on('data', (s) => (serverErr += s));
  let url;
  for (let i = 0; !(url = /API on (http:\/\/\S+) /.exec(serverErr)?.[1]); i++) {
    if (i > 600 || server.exitCode !== null) throw new Error(`serve did not listen:\n${serverErr}`);
    await sleep(100);
  }
  const token = cli('nodes', 'enroll-token', '--ttl', '2h', '--labels', 'fleet=bench');
  return { server, url, token, commit, cli, serverErr: () => serverErr };
}
