// One real `setpoint agent` process at rest: its CPU (% of one core) and RSS.
//
//   node bench/idle-agent.mjs [runs=3] [seconds=60]
//
// Starts `serve --listen` on a free port with a git source of one File for
// the node, makes an enrolment token, then `runs` times: starts one agent
// (a fresh state folder), waits until it converged plus 5 s, and reads
// utime+stime from /proc/PID/stat over `seconds`. Prints each run, the
// median and the load average. Needs `npm run build` first (dist/).
// IDLE_BENCH_DIR: another work folder; IDLE_BENCH_PROF=DIR: --cpu-prof; IDLE_BENCH_HOLD=1: leaves the last agent
// running (its pid printed) for strace/perf, until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'setpoint.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HZ = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / HZ;
}
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const runs = Number(process.argv[2] ?? 3);
  const seconds = Number(process.argv[3] ?? 60);
  const work = process.env.IDLE_BENCH_DIR ?? '/tmp/spidle';
  rmSync(work, { recursive: true, force: true });
  const repo = join(work, 'repo');
  const srv = join(work, 'server');
  mkdirSync(repo, { recursive: true });
  mkdirSync(srv, { recursive: true });
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  writeFileSync(
    join(repo, 'motd.yaml'),
    `kind: File\nmetadata: { name: motd }\nspec:\n  path: "${work}/hosts/\${facts.node.name}/motd"\n  content: "v1\\n"\nnodeSelector:\n  matchLabels: { fleet: bench }\n`,
  );
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'bench');
  git('add', '-A');
  git('commit', '-qm', 'v1');
  writeFileSync(
    join(srv, 'setpoint.yaml'),
    `sources:\n  - name: main\n    git: { url: "${repo}", ref: main, interval: 1m }\n`,
  );
  const cli = (...args) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: srv, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`setpoint ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const server = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], {
    cwd: srv,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(server);
  let serverErr = '';
  server.stderr.setEncoding('utf8').on('data', (s) => (serverErr += s));
  let url;
  for (let i = 0; !(url = /API on (http:\/\/\S+) /.exec(serverErr)?.[1]); i++) {
    if (i > 600 || server.exitCode !== null) throw new Error(`serve did not listen:\n${serverErr}`);
    await sleep(100);
  }
  const token = cli('nodes', 'enroll-token', '--ttl', '2h', '--labels', 'fleet=bench');
  // IDLE_BENCH_PROF=DIR: the agents run with --cpu-prof (written there when they stop).
  const prof = process.env.IDLE_BENCH_PROF;
  const profArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', resolve(prof)] : [];
  const cpu = [];
  const rss = [];
  const loads = [];
  for (let run = 0; run < runs; run++) {
    const name = `single${run}`;
    mkdirSync(join(work, 'hosts', name), { recursive: true });
    const agent = spawn(
      process.execPath,
      [
        ...profArgs,
        bin,
        'agent',
        '--server',
        url,
        '--enroll-token',
        token,
        '--name',
        name,
        '--state',
        join(work, name),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    children.add(agent);
    let agentErr = '';
    agent.stderr.setEncoding('utf8').on('data', (s) => (agentErr += s));
    const file = join(work, 'hosts', name, 'motd');
    for (let i = 0; !existsSync(file) || readFileSync(file, 'utf8') !== 'v1\n'; i++) {
      if (i > 600 || agent.exitCode !== null) throw new Error(`the agent did not converge:\n${agentErr}`);
      await sleep(100);
    }
    await sleep(5000);
    const c0 = cpuSeconds(agent.pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const used = cpuSeconds(agent.pid) - c0;
    const pct = (used / ((performance.now() - t0) / 1000)) * 100;
    cpu.push(pct);
    rss.push(rssMb(agent.pid));
    loads.push(loadavg()[0]);
    console.log(
      `run ${run + 1}: CPU ${pct.toFixed(2)} % (${used.toFixed(2)} CPU-s in ${seconds} s), RSS ${rss.at(-1).toFixed(1)} MB, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    if (process.env.IDLE_BENCH_HOLD && run === runs - 1) {
      console.log(`holding agent ${agent.pid} (server ${server.pid}); Ctrl-C to stop`);
      await new Promise((r) => process.once('SIGINT', r));
    }
    agent.kill('SIGTERM');
    await new Promise((r) => (agent.exitCode !== null ? r() : agent.once('exit', r)));
  }
  console.log(
    `median of ${runs}: CPU ${median(cpu).toFixed(2)} %, RSS ${median(rss).toFixed(1)} MB, load (1 min) ${median(loads).toFixed(2)}`,
  );
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
});
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
