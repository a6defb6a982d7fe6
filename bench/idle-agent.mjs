// One real `setpoint agent` process at rest: its CPU (% of one core) and RSS.
//
//   node bench/idle-agent.mjs [runs=3] [seconds=60]
//
// Starts `serve --listen` on a free port with a git source of one File for
// the node, makes an enrolment token, then `runs` times: starts one agent
// (a fresh state folder), waits until it converged plus 5 s, and reads
// utime+stime from /proc/PID/stat over `seconds` (and, exact to the
// nanosecond, the threads' run time and how often they were scheduled from
// /proc/PID/task/TID/schedstat: wakeups). Prints each run, the median and the
// load average. Needs `npm run build` first (dist/).
// IDLE_BENCH_SETTLE=S: wait S s after convergence instead of 5 (the first minute still has start-up work:
// V8's compiler and GC threads).
// IDLE_BENCH_DIR: another work folder; IDLE_BENCH_PROF=DIR: --cpu-prof; IDLE_BENCH_HOLD=1: leaves the last agent
// running (its pid printed) for strace/perf, until Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import { bin, cpuSeconds, memory, sleep, startFleetServer } from './fleet-server.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The process's threads so far: run time (ns) and times scheduled, from /proc/PID/task/TID/schedstat. */
function scheduled(pid) {
  let runNs = 0;
  let slices = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, , n] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      runNs += run;
      slices += n;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return { runNs, slices };
}

async function main() {
  const runs = Number(process.argv[2] ?? 3);
  const seconds = Number(process.argv[3] ?? 60);
  const work = process.env.IDLE_BENCH_DIR ?? '/tmp/spidle';
  const { server, url, token } = await startFleetServer({ work, gitInterval: '1m' });
  children.add(server);
  // IDLE_BENCH_PROF=DIR: the agents run with --cpu-prof (written there when they stop).
  const prof = process.env.IDLE_BENCH_PROF;
  const profArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', resolve(prof)] : [];
  const cpu = [];
  const rss = [];
  const loads = [];
  const runPct = [];
  const wakeups = [];
  const settle = Number(process.env.IDLE_BENCH_SETTLE ?? 5);
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
    await sleep(settle * 1000);
    const c0 = cpuSeconds(agent.pid);
    const s0 = scheduled(agent.pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const used = cpuSeconds(agent.pid) - c0;
    const s1 = scheduled(agent.pid);
    const elapsed = (performance.now() - t0) / 1000;
    const pct = (used / elapsed) * 100;
    cpu.push(pct);
    runPct.push(((s1.runNs - s0.runNs) / 1e9 / elapsed) * 100);
    wakeups.push((s1.slices - s0.slices) / elapsed);
    rss.push(memory(agent.pid).rssMb);
    loads.push(loadavg()[0]);
    console.log(
      `run ${run + 1}: CPU ${pct.toFixed(2)} % (${used.toFixed(2)} CPU-s in ${seconds} s), run time ${runPct.at(-1).toFixed(3)} %, scheduled ${wakeups.at(-1).toFixed(2)}/s, RSS ${rss.at(-1).toFixed(1)} MB, load ${loadavg()
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
    `median of ${runs}: CPU ${median(cpu).toFixed(2)} %, run time ${median(runPct).toFixed(3)} %, scheduled ${median(wakeups).toFixed(2)}/s, RSS ${median(rss).toFixed(1)} MB, load (1 min) ${median(loads).toFixed(2)}`,
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
