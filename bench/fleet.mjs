#!/usr/bin/env node
// `npm run bench:fleet`: one `setpoint serve --listen` over a real Git source
// and N agents (default 1,000) enrolled with one multi-use enrolment token.
// The agents run in W worker processes (default 4), each hosting N/W agents
// through the real agent code (startAgent from dist/: its own state folder,
// credential, local SQLite store and serve loop, talking to the server over
// HTTP). Then a commit changes a File selected by a label, and we measure:
//   rollout   commit -> each node's file has the new content (p50/p95/last);
//   server    RSS (VmRSS, peak VmHWM) and CPU (utime+stime from /proc) at
//             rest and during the rollout;
//   rps       GET desired?digest=<current>&wait=0 with every node's own token,
//             from all workers at once for a few seconds (what the server
//             answers per second on the agents' hot route);
//   agent     one real `setpoint agent` process: RSS and CPU over an idle window.
// Results: a section of bench/RESULTS.md. usage: node bench/fleet.mjs [N] [W]
// FLEET_BENCH_PROF=DIR: the server, the first worker and the idle agent run with --cpu-prof
// (profiles written to DIR when they exit), to see where the rollout's time goes.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, watch } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { bin, cpuOver, cpuSeconds, memory, sleep, startFleetServer } from './fleet-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

// --- a worker: hosts its share of the agents -------------------------------
if (process.argv[2] === '--worker') {
  const { startAgent } = await import(pathToFileURL(join(root, 'dist', 'api', 'index.js')).href);
  const { url, token, names, work } = JSON.parse(process.argv[3]);
  // Each agent adds its process handlers (as in its own process): many here.
  process.setMaxListeners(0);
  const agents = [];
  const hostFile = (name) => join(work, 'hosts', name, 'motd');
  // Counts this process's HTTP requests to the server (the agents' client: node:http).
  let requests = 0;
  const realFetch = globalThis.fetch;
  const realRequest = http.request;
  http.request = (...args) => {
    requests++;
    return realRequest(...args);
  };
  const send = (m) => process.send(m);
  process.on('message', async (m) => {
    if (m.type === 'start') {
      // A few at a time: each one enrols, opens its store and starts its loop.
      let next = 0;
      const one = async () => {
        for (let i = next++; i < names.length; i = next++) {
          mkdirSync(join(work, 'hosts', names[i]), { recursive: true });
          agents.push(
            await startAgent({
              server: url,
              enrollToken: token,
              name: names[i],
              state: join(work, 'agents', names[i]),
              labels: { rack: `r${i % 10}` },
            }),
          );
        }
      };
      try {
        await Promise.all(Array.from({ length: 8 }, one));
        send({ type: 'started' });
      } catch (err) {
        send({ type: 'failed', error: String(err?.stack ?? err) });
      }
    } else if (m.type === 'wait') {
      // Each node's folder is watched (inotify) and its file read when the folder changes, with
      // a slow sweep in case an event is missed: reading all 250 files every 25 ms took CPU
      // from the agents sharing this process.
      const pending = new Set(names);
      const at = {};
      const check = (n) => {
        if (!pending.has(n)) return;
        let text;
        try {
          text = readFileSync(hostFile(n), 'utf8');
        } catch {
          return;
        }
        if (text === m.content) {
          at[n] = Date.now();
          pending.delete(n);
        }
      };
      const watchers = names.map((n) => watch(dirname(hostFile(n)), () => check(n)));
      for (const n of names) check(n);
      // When each agent held the new set (its link's record changed): delivery, without the local apply.
      const before = new Map(agents.map((a) => [a.name, a.link.current?.digest]));
      const waiting = new Set(agents);
      const got = {};
      for (let sweep = Date.now(); pending.size;) {
        for (const a of waiting)
          if (a.link.current?.digest !== before.get(a.name)) {
            got[a.name] = Date.now();
            waiting.delete(a);
          }
        if (Date.now() - sweep >= 500) {
          for (const n of pending) check(n);
          sweep = Date.now();
        }
        if (pending.size) await sleep(25);
      }
      for (const w of watchers) w.close();
      send({ type: 'converged', at, got, requests });
    } else if (m.type === 'load') {
      // Every node's own token, the route agents poll, answered at once (wait=0).
      const end = Date.now() + m.ms;
      let done = 0;
      let failed = 0;
      const loop = async (a) => {
        const cred = JSON.parse(readFileSync(join(work, 'agents', a.name, 'credential.json'), 'utf8'));
        const digest = a.link.current?.digest ?? '';
        while (Date.now() < end) {
          try {
            const res = await realFetch(
              `${url}/api/v1/fleet/nodes/${a.name}/desired?wait=0&digest=${digest}`,
              { headers: { authorization: `Bearer ${cred.token}` } },
            );
            await res.arrayBuffer();
            if (res.ok) done++;
            else failed++;
          } catch {
            // A refused or reset connection counts as a failed request, not the end of the bench.
            failed++;
          }
        }
      };
      await Promise.all(agents.slice(0, m.concurrency).map(loop));
      send({ type: 'loaded', done, failed });
    } else if (m.type === 'requests') {
      send({ type: 'requests', requests });
    } else if (m.type === 'stop') {
      await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
      send({ type: 'stopped' });
      process.exit(0);
    }
  });
  send({ type: 'ready' });
} else {
  await main();
}

async function main() {
  const N = Number(process.argv[2] ?? 1000);
  const W = Number(process.argv[3] ?? 4);
  // FLEET_BENCH_DIR: another folder, when more than one bench may run on the machine.
  const work = process.env.FLEET_BENCH_DIR ?? '/tmp/spfleet';
  const prof = process.env.FLEET_BENCH_PROF;
  const profArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', resolve(prof)] : [];
  const { server, url, token, commit, serverErr } = await startFleetServer({
    work,
    gitInterval: '1s',
    nodeArgs: profArgs,
  });
  let stopping = false;
  server.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`serve exited (${code ?? signal}) during the bench:\n${serverErr().slice(-3000)}`);
      process.exit(1);
    }
  });
  console.error(`serve ${server.pid} on ${url}; enrolling ${N} agents in ${W} workers`);

  // Whatever ends the bench (a failure included) ends its children too.
  const workers = [];
  process.on('exit', () => {
    server.kill('SIGKILL');
    for (const w of workers) w.kill('SIGKILL');
  });

  const names = Array.from({ length: N }, (_, i) => `n${String(i + 1).padStart(4, '0')}`);
  for (let w = 0; w < W; w++) {
    const mine = names.filter((_, i) => i % W === w);
    const child = fork(
      fileURLToPath(import.meta.url),
      ['--worker', JSON.stringify({ url, token, names: mine, work })],
      {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        ...(w === 0 && prof ? { execArgv: profArgs } : {}),
      },
    );
    workers.push(child);
  }
  const ask = (child, msg, reply) =>
    new Promise((res, rej) => {
      const on = (m) => {
        if (m.type === 'failed') {
          child.off('message', on);
          rej(new Error(`worker failed: ${m.error}`));
        } else if (m.type === reply) {
          child.off('message', on);
          res(m);
        }
      };
      child.on('message', on);
      child.once('exit', (code) => rej(new Error(`worker exited ${code}`)));
      if (msg) child.send(msg);
    });
  await Promise.all(workers.map((c) => ask(c, undefined, 'ready')));
  const t0 = performance.now();
  await Promise.all(workers.map((c) => ask(c, { type: 'start' }, 'started')));
  const enrolS = (performance.now() - t0) / 1000;
  console.error(`${N} agents started in ${enrolS.toFixed(1)} s; waiting for v1 everywhere`);
  const first = performance.now();
  await Promise.all(workers.map((c) => ask(c, { type: 'wait', content: 'v1\n' }, 'converged')));
  console.error(`v1 on every node ${((performance.now() - first) / 1000).toFixed(1)} s after the last start`);

  // At rest: every agent holds its long poll.
  await sleep(3000);
  const restCpu = await cpuOver(server.pid, 10_000);
  const restMem = memory(server.pid);
  const reqBefore = (await Promise.all(workers.map((c) => ask(c, { type: 'requests' }, 'requests')))).reduce(
    (s, m) => s + m.requests,
    0,
  );

  // The rollout.
  const cpu0 = cpuSeconds(server.pid);
  const committed = Date.now();
  const tc = performance.now();
  commit('v2');
  const results = await Promise.all(
    workers.map((c) => ask(c, { type: 'wait', content: 'v2\n' }, 'converged')),
  );
  const rolloutS = (performance.now() - tc) / 1000;
  // The rollout's window on the monotonic clock (µs), which --cpu-prof timestamps use too.
  if (prof)
    console.error(
      `rollout window (monotonic µs): ${process.hrtime.bigint() / 1000n - BigInt(Math.round(rolloutS * 1e6))} ${process.hrtime.bigint() / 1000n}`,
    );
  const rolloutCpu = ((cpuSeconds(server.pid) - cpu0) / rolloutS) * 100;
  const rolloutMem = memory(server.pid);
  const times = results
    .flatMap((r) => Object.values(r.at).map((t) => (t - committed) / 1000))
    .sort((a, b) => a - b);
  const received = results
    .flatMap((r) => Object.values(r.got).map((t) => (t - committed) / 1000))
    .sort((a, b) => a - b);
  const reqAfter = results.reduce((s, m) => s + m.requests, 0);

  // Requests per second on the hot route.
  const loadMs = 10_000;
  const cpuL = cpuSeconds(server.pid);
  const loaded = await Promise.all(
    workers.map((c) => ask(c, { type: 'load', ms: loadMs, concurrency: 50 }, 'loaded')),
  );
  const loadCpu = ((cpuSeconds(server.pid) - cpuL) / (loadMs / 1000)) * 100;
  const done = loaded.reduce((s, m) => s + m.done, 0);
  const failed = loaded.reduce((s, m) => s + m.failed, 0);
  const afterLoad = memory(server.pid);

  await Promise.all(workers.map((c) => ask(c, { type: 'stop' }, 'stopped').catch(() => undefined)));

  // One real agent process, idle, against the same server.
  const one = join(work, 'single');
  mkdirSync(join(work, 'hosts', 'single'), { recursive: true });
  const agent = spawn(
    process.execPath,
    [...profArgs, bin, 'agent', '--server', url, '--enroll-token', token, '--name', 'single', '--state', one],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const singleFile = join(work, 'hosts', 'single', 'motd');
  for (let i = 0; !existsSync(singleFile) || readFileSync(singleFile, 'utf8') !== 'v2\n'; i++) {
    if (i > 600) throw new Error('the single agent did not converge');
    await sleep(100);
  }
  await sleep(5000);
  const agentCpu = await cpuOver(agent.pid, 30_000);
  const agentMem = memory(agent.pid);
  agent.kill('SIGTERM');
  stopping = true;
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));

  const f1 = (x) => x.toFixed(1);
  const f2 = (x) => x.toFixed(2);
  const row = (k, v) => `| ${k} | ${v} |`;
  const out = [
    `### N = ${N} agents in ${W} worker processes`,
    '',
    `Machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end; ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    row('enrol + start all agents', `${f1(enrolS)} s`),
    row(
      'commit → node holds the new set, p50 / p95 / last',
      `${f2(pct(received, 50))} / ${f2(pct(received, 95))} / ${f2(received.at(-1))} s (${received.length} nodes)`,
    ),
    row('commit → node converged, p50', `${f2(pct(times, 50))} s`),
    row('commit → node converged, p95', `${f2(pct(times, 95))} s`),
    row('commit → last node converged', `${f2(times.at(-1))} s`),
    row(
      'server RSS at rest / after rollout / peak',
      `${f1(restMem.rssMb)} / ${f1(rolloutMem.rssMb)} / ${f1(afterLoad.peakMb)} MB`,
    ),
    row('server CPU at rest (10 s)', `${f1(restCpu)} %`),
    row('server CPU during rollout', `${f1(rolloutCpu)} % over ${f1(rolloutS)} s`),
    row('agent requests during rollout', `${reqAfter - reqBefore}`),
    row(
      'desired (wait=0) answered per second',
      `${Math.round(done / (loadMs / 1000))} /s (${failed} failed; server CPU ${f1(loadCpu)} %, ${Math.min(N, W * 50)} concurrent)`,
    ),
    row('one agent process idle: CPU (30 s) / RSS', `${f2(agentCpu)} % / ${f1(agentMem.rssMb)} MB`),
    '',
  ].join('\n');
  console.log(out);
  process.exit(0);
}
